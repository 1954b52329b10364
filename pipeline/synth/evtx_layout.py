"""EVTX on-disk structures, declared as data.

Sources: [MS-EVEN6] sections 2.2 (BinXml) and libyal's "Windows XML Event Log (EVTX)
format" document (file header, chunk header, event record, template definition, name).
Offsets in the comments are the ones those documents give; each struct's size is
asserted by tests/synth/test_layouts.py.
"""

from __future__ import annotations

import struct
from typing import Final

FILE_SIGNATURE: Final = b"ElfFile\x00"
CHUNK_SIGNATURE: Final = b"ElfChnk\x00"
RECORD_SIGNATURE: Final = 0x00002A2A  # "**\0\0"

FILE_HEADER_BLOCK_SIZE: Final = 0x1000  # the header occupies the first 4 KiB
CHUNK_SIZE: Final = 0x10000  # 64 KiB
CHUNK_HEADER_SIZE: Final = 0x200  # records start here, relative to the chunk
FILE_FORMAT_MAJOR: Final = 3
FILE_FORMAT_MINOR: Final = 1
FILE_FLAG_DIRTY: Final = 0x1
FILE_FLAG_FULL: Final = 0x2

# File header, first 128 bytes (the rest of the 4 KiB block is zero).
#   0 signature, 8 first chunk number, 16 last chunk number, 24 next record identifier,
#  32 header size (128), 36 minor version, 38 major version, 40 header block size (4096),
#  42 number of chunks, 44 unknown (76 bytes), 120 file flags, 124 CRC32 of bytes 0-119.
FILE_HEADER: Final = struct.Struct("<8sQQQIHHHH76xII")
FILE_HEADER_CRC_SPAN: Final = 120

# Chunk header, first 128 bytes; then the common string offsets (64 x u32, at 128) and
# the template pointers (32 x u32, at 384).
#   0 signature, 8 first record number, 16 last record number, 24 first record identifier,
#  32 last record identifier, 40 header size (128), 44 last record offset,
#  48 free space offset, 52 records CRC32, 56 unknown (64 bytes), 120 flags,
# 124 header CRC32 (of bytes 0-119 and 128-511).
CHUNK_HEADER: Final = struct.Struct("<8sQQQQIIII64xII")
CHUNK_HEADER_CRC_SPAN: Final = 120
STRING_BUCKETS: Final = 64
TEMPLATE_BUCKETS: Final = 32
STRING_TABLE: Final = struct.Struct(f"<{STRING_BUCKETS}I")  # at chunk offset 128
TEMPLATE_TABLE: Final = struct.Struct(f"<{TEMPLATE_BUCKETS}I")  # at chunk offset 384
STRING_TABLE_OFFSET: Final = 128
TEMPLATE_TABLE_OFFSET: Final = 384
CHUNK_FLAGS: Final = 1  # what Windows 7 and later write

# Event record: signature, size, record identifier, written time (FILETIME); then the
# Binary XML fragment; then the size again (u32) as the record's last 4 bytes.
RECORD_HEADER: Final = struct.Struct("<IIQQ")
RECORD_TRAILER: Final = struct.Struct("<I")
RECORD_ALIGNMENT: Final = 8  # Windows pads records to 8 bytes

# Binary XML pieces ([MS-EVEN6] 2.2.12; libyal EVTX "Binary XML").
FRAGMENT_HEADER: Final = struct.Struct("<BBBB")  # token 0x0f, major 1, minor 1, flags 0
TEMPLATE_INSTANCE: Final = struct.Struct("<BBII")  # token 0x0c, 1, template id, def offset
TEMPLATE_DEFINITION: Final = struct.Struct("<I16sI")  # next def offset, GUID, data size
NAME_HEADER: Final = struct.Struct("<IHH")  # next name offset, hash, characters; UTF-16 + NUL
ELEMENT_START: Final = struct.Struct("<BHII")  # token, dependency id, data size, name offset
ATTRIBUTE_START: Final = struct.Struct("<BI")  # token, name offset
VALUE_TEXT: Final = struct.Struct("<BBH")  # token 0x05, value type 0x01, characters
SUBSTITUTION: Final = struct.Struct("<BHB")  # token 0x0d/0x0e, index, value type
U32: Final = struct.Struct("<I")
