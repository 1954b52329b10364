"""Windows NT4-2003 event log (.evt) structures, declared as data.

Source: libyal's "Windows Event Log (EVT) format" document (file header, event record,
end of file record) and the EVENTLOGRECORD structure of the Windows SDK. Each struct's
size is asserted by tests/synth/test_layouts.py.
"""

from __future__ import annotations

import struct
from typing import Final

SIGNATURE: Final = b"LfLe"

# File header (48 bytes):
#   0 size (0x30), 4 signature, 8 major version (1), 12 minor version (1),
#  16 first (oldest) record offset, 20 end of file record offset, 24 next record number,
#  28 first (oldest) record number, 32 maximum file size, 36 flags, 40 retention,
#  44 size again.
FILE_HEADER: Final = struct.Struct("<I4sIIIIIIIIII")
FLAG_DIRTY: Final = 0x1
FLAG_WRAPPED: Final = 0x2
FLAG_LOGFULL: Final = 0x4
FLAG_ARCHIVE: Final = 0x8

# EVENTLOGRECORD fixed part (56 bytes):
#   0 size, 4 signature, 8 record number, 12 time generated (POSIX), 16 time written,
#  20 event identifier (32-bit), 24 event type, 26 number of strings, 28 category,
#  30 reserved flags, 32 closing record number, 36 strings offset, 40 SID size,
#  44 SID offset, 48 data size, 52 data offset.
# Then: source name and computer name (UTF-16, NUL-terminated), padding to 4 bytes,
# the SID, the strings (each NUL-terminated), the data, padding to 4 bytes, size again.
RECORD_FIXED: Final = struct.Struct("<I4sIIIIHHHHIIIIII")
RECORD_TRAILER: Final = struct.Struct("<I")

# End of file record (40 bytes): size (0x28), the four marker values, first record
# offset, end of file record offset, next record number, first record number, size.
EOF_RECORD: Final = struct.Struct("<IIIIIIIIII")
EOF_MARKERS: Final = (0x11111111, 0x22222222, 0x33333333, 0x44444444)

FILE_SIZE_GRANULE: Final = 0x10000  # log files grow and are sized in 64 KiB steps
