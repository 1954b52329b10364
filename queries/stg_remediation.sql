-- Staging: the remediation guidance, with `match` named pattern and `os_family` named advice_family.
-- inputs: remediation
-- output: one row per piece of advice: applies_to ('class'|'process'|'key'), pattern, advice_family ('' for every family), advice, reference
-- parameters: none
select
    applies_to,
    match as pattern,
    os_family as advice_family,
    advice,
    reference
from remediation
