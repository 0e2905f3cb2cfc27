//! Checks a `.xls` (a Compound File holding a BIFF workbook) before calamine reads it, for the
//! two ways fuzzing found a small hostile file to exhaust memory there: sector chains that loop
//! (calamine follows them, growing a buffer), and cells at impossible or far-apart places
//! (calamine allocates the whole rectangle of a sheet at once, and a rectangle reaching a column
//! number past the format's limit is too large to allocate, which aborts the process: it cannot
//! be caught). Valid files pass both checks untouched.

/// Refuses a damaged or hostile `.xls` with words for the enumerator or manager.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let tables = check_sector_chains(bytes)?;
    // Without a readable Workbook stream calamine says so itself; nothing to guard.
    if let Some(stream) = workbook_stream(bytes, &tables) {
        check_cell_places(&stream)?;
    }
    Ok(())
}

/// The allocation tables of a Compound File, checked loop-free.
struct Tables {
    sector_size: usize,
    fat: Vec<u32>,
    mini_fat: Vec<u32>,
}

/// Mini stream sectors are 64 bytes; streams shorter than 4096 bytes live there (MS-CFB 2.2).
const MINI_SECTOR: usize = 64;
const MINI_STREAM_CUTOFF: u64 = 4096;

/// The bytes of the `Workbook` (BIFF8) or `Book` (BIFF5) stream, following the (loop-free)
/// chains; `None` when the directory does not lead to one.
fn workbook_stream(bytes: &[u8], tables: &Tables) -> Option<Vec<u8>> {
    let size = tables.sector_size;
    let sector = |id: u32| {
        let start = (id as usize + 1).checked_mul(size)?;
        bytes.get(start..start.checked_add(size)?)
    };
    // A chain read whole: the tables have no loops, and a chain is cut at the file's size.
    let chain = |first: u32, table: &[u32], limit: usize| {
        let mut ids = Vec::new();
        let mut id = first;
        while id < SPECIAL_SECTORS && ids.len() < limit {
            ids.push(id);
            id = table.get(id as usize).copied().unwrap_or(u32::MAX);
        }
        ids
    };
    let read = |first: u32| -> Vec<u8> {
        let mut out = Vec::new();
        for id in chain(first, &tables.fat, bytes.len() / size + 1) {
            match sector(id) {
                Some(data) => out.extend_from_slice(data),
                None => break,
            }
        }
        out
    };
    let directory_start = bytes
        .get(0x30..0x34)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))?;
    let directory = read(directory_start);
    let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
    let stream_size =
        |e: &[u8]| u64::from(u32::from_le_bytes([e[0x78], e[0x79], e[0x7A], e[0x7B]]));
    let start_of = |e: &[u8]| u32::from_le_bytes([e[0x74], e[0x75], e[0x76], e[0x77]]);
    let name_of = |e: &[u8]| {
        let len = (u16::from_le_bytes([e[0x40], e[0x41]]) as usize).min(64);
        let units: Vec<u16> = e[..len.saturating_sub(2)]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    let root = entries.iter().find(|e| e[0x42] == 5)?;
    let entry = entries
        .iter()
        .find(|e| e[0x42] == 2 && matches!(name_of(e).as_str(), "Workbook" | "Book"))?;
    let wanted = stream_size(entry);
    let mut data = if wanted < MINI_STREAM_CUTOFF {
        let mini_stream = read(start_of(root));
        let mut out = Vec::new();
        let limit = mini_stream.len() / MINI_SECTOR + 1;
        for id in chain(start_of(entry), &tables.mini_fat, limit) {
            let at = id as usize * MINI_SECTOR;
            match mini_stream.get(at..at + MINI_SECTOR) {
                Some(data) => out.extend_from_slice(data),
                None => break,
            }
        }
        out
    } else {
        read(start_of(entry))
    };
    data.truncate(usize::try_from(wanted).unwrap_or(usize::MAX));
    Some(data)
}

/// BIFF sheets have at most 256 columns (BIFF8 and BIFF5) and 65,536 rows (a row is 16 bits):
/// with columns kept within the format, the largest rectangle calamine can be asked for is
/// 16.8 million cells, which it allocates (real forms formatted far beyond their cells reach
/// millions), instead of the billions a column number past the format's limit asks for.
const BIFF_COLUMNS: u32 = 256;

/// Refuses a cell placed past the format's last column, reading only the records that place
/// cells.
fn check_cell_places(stream: &[u8]) -> Result<(), String> {
    let mut at = 0;
    while let Some(head) = stream.get(at..at + 4) {
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let Some(body) = stream.get(at + 4..at + 4 + len) else {
            break;
        };
        at += 4 + len;
        let u16_at = |i: usize| {
            body.get(i..i + 2)
                .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
        };
        let (row, first_col, last_col) = match kind {
            // FORMULA, LABELSST, NUMBER, RK, BLANK, BOOLERR, LABEL, RSTRING: row, column.
            0x0006 | 0x00FD | 0x0203 | 0x027E | 0x0201 | 0x0205 | 0x0204 | 0x00D6 => {
                match (u16_at(0), u16_at(2)) {
                    (Some(row), Some(col)) => (row, col, col),
                    _ => continue,
                }
            }
            // MULRK, MULBLANK: row, first column, ..., last column in the last two bytes.
            0x00BD | 0x00BE => match (u16_at(0), u16_at(2), u16_at(len.saturating_sub(2))) {
                (Some(row), Some(first), Some(last)) if len >= 6 => (row, first, last),
                _ => continue,
            },
            _ => continue,
        };
        if last_col >= BIFF_COLUMNS || first_col > last_col {
            return Err(format!(
                "it is damaged (a cell in row {} is placed at column {}, past the last column \
                 an .xls sheet has)",
                row + 1,
                last_col.max(first_col) + 1
            ));
        }
    }
    Ok(())
}

/// Sector numbers at and above this mark the end of a chain, a free sector or the allocation
/// tables' own sectors (MS-CFB 2.1).
const SPECIAL_SECTORS: u32 = 0xFFFF_FFFA;

/// Refuses a `.xls` (a Compound File) whose sector chains loop. calamine follows a chain until
/// it ends or a stream is complete, so a chain that loops back grows a buffer until memory runs
/// out: fuzzing found a 24 KB file that took 3 GB. Valid files never loop, so the file allocation
/// table and the mini stream's table are checked for loops before calamine reads the file.
fn check_sector_chains(bytes: &[u8]) -> Result<Tables, String> {
    let damaged = |what: &str| format!("it is damaged ({what})");
    let u32_at = |offset: usize| {
        bytes
            .get(offset..offset + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let shift = bytes
        .get(0x1E..0x20)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| damaged("its header is cut short"))?;
    if shift != 9 && shift != 12 {
        return Err(damaged("its sectors are neither 512 nor 4096 bytes"));
    }
    let sector_size = 1usize << shift;
    // Sector n starts after the header, which fills the first sector's place.
    let sector = |id: u32| {
        let start = (id as usize + 1).checked_mul(sector_size)?;
        bytes.get(start..start.checked_add(sector_size)?)
    };
    let entries = |sector: &[u8]| -> Vec<u32> {
        sector
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    let sectors_in_file = bytes.len() / sector_size;

    // The allocation table's own sectors: 109 listed in the header, the rest in a chain of
    // DIFAT sectors (each ending with the next one's number).
    let mut fat_sectors: Vec<u32> = (0..109).filter_map(|i| u32_at(0x4C + 4 * i)).collect();
    let mut difat = u32_at(0x44).unwrap_or(u32::MAX);
    let mut difat_seen = 0;
    while difat < SPECIAL_SECTORS {
        difat_seen += 1;
        if difat_seen > sectors_in_file {
            return Err(damaged("its list of allocation sectors loops"));
        }
        let Some(data) = sector(difat) else { break };
        let mut ids = entries(data);
        difat = ids.pop().unwrap_or(u32::MAX);
        fat_sectors.extend(ids);
    }
    let mut fat = Vec::new();
    for id in fat_sectors.into_iter().filter(|id| *id < SPECIAL_SECTORS) {
        if let Some(data) = sector(id) {
            fat.extend(entries(data));
        }
    }
    if let Some(at) = first_loop(&fat) {
        return Err(damaged(&format!(
            "its sector chain through sector {at} loops"
        )));
    }

    // The mini stream's own table, read along its (now loop-free) chain.
    let mini_fat_sectors = u32_at(0x40).unwrap_or(0) as usize;
    let mut mini_fat = Vec::new();
    let mut id = u32_at(0x3C).unwrap_or(u32::MAX);
    while id < SPECIAL_SECTORS && mini_fat.len() < mini_fat_sectors * sector_size / 4 {
        let Some(data) = sector(id) else { break };
        mini_fat.extend(entries(data));
        id = fat.get(id as usize).copied().unwrap_or(u32::MAX);
    }
    if let Some(at) = first_loop(&mini_fat) {
        return Err(damaged(&format!(
            "its mini sector chain through mini sector {at} loops"
        )));
    }
    Ok(Tables {
        sector_size,
        fat,
        mini_fat,
    })
}

/// The first entry of a table of "next" links (each entry names the next, or a number past the
/// table to end) from which following the links comes back round, if any.
fn first_loop(next: &[u32]) -> Option<usize> {
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const ENDS: u8 = 2;
    let mut state = vec![UNSEEN; next.len()];
    let mut path = Vec::new();
    for start in 0..next.len() {
        let mut at = start;
        while at < next.len() && state[at] == UNSEEN {
            state[at] = ON_PATH;
            path.push(at);
            at = next[at] as usize;
        }
        if at < next.len() && state[at] == ON_PATH {
            return Some(at);
        }
        for visited in path.drain(..) {
            state[visited] = ENDS;
        }
    }
    None
}
