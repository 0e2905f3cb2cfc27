//! Stata strLs in format 118: a strL variable's cell in the data is an 8-byte reference
//! `(v, o)` (variable and observation, 1-based; `(0, 0)` is the empty string), and the text
//! itself is a GSO block in the `<strls>` section after the data. Each non-empty cell gets its
//! own GSO, keyed by its own variable and observation.

use std::io::Write;

/// The variable type of a strL.
pub const TYPE_STRL: u16 = 32768;
/// The longest value a `str#` variable holds; a column with a longer one is a strL.
pub const MAX_STR: usize = 2045;
/// A GSO holding text (Stata's type 130), whose contents end with a NUL.
const GSO_TEXT: u8 = 130;
/// What a GSO adds to its text: `GSO`, v (u32), o (u64), t (u8), len (u32) and the NUL.
const GSO_OVERHEAD: u64 = 3 + 4 + 8 + 1 + 4 + 1;

/// The bytes of the GSOs of `non_empty` values of `total_bytes` together.
pub fn gsos_len(non_empty: u64, total_bytes: u64) -> u64 {
    non_empty * GSO_OVERHEAD + total_bytes
}

/// The data cell of variable `variable` (1-based) in observation `observation` (1-based):
/// format 118 packs v in the low 2 bytes and o in the high 6.
pub fn reference(variable: usize, observation: u64, value: &[u8]) -> [u8; 8] {
    if value.is_empty() {
        return [0; 8];
    }
    ((observation << 16) | variable as u64).to_le_bytes()
}

/// The GSO for a non-empty `value` of `variable` in `observation`.
pub fn write_gso(
    out: &mut impl Write,
    variable: usize,
    observation: u64,
    value: &[u8],
) -> std::io::Result<()> {
    out.write_all(b"GSO")?;
    out.write_all(&(variable as u32).to_le_bytes())?;
    out.write_all(&observation.to_le_bytes())?;
    out.write_all(&[GSO_TEXT])?;
    // The spool has checked that every value's length fits in a u32, with room for the NUL.
    out.write_all(&(value.len() as u32 + 1).to_le_bytes())?;
    out.write_all(value)?;
    out.write_all(&[0])
}
