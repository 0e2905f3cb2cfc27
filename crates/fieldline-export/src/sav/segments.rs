//! How SPSS lays out a variable in the case: numbers take one 8-byte slot, strings up to 255
//! bytes take their width rounded up to 8, and a very long string (wider than 255 bytes) is
//! split into segments, each a string variable of its own in the dictionary.
//!
//! The segment rules are those SPSS, PSPP and ReadStat share: a string of width `w > 255` has
//! `ceil(w / 252)` segments, every one but the last of width 255 (256 bytes in the case, 255 of
//! them holding text), the last of width `w - 252 * (segments - 1)`. The text runs through
//! the segments' 255-byte parts in order, the last segment taking the rest, each part padded
//! with spaces; the record 7 subtype 14 then gives the whole width to the first segment's
//! short name, and readers join the segments back.

/// The widest short string; wider strings are very long strings.
const MAX_SHORT_STRING: usize = 255;
/// How much of the width each segment but the last accounts for.
const EFFECTIVE_SEGMENT_WIDTH: usize = 252;

/// One variable record of a column: its width (0 for a number) and the bytes it takes in
/// the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub width: usize,
    pub bytes: usize,
}

impl Segment {
    /// The text bytes it holds: all of its width.
    pub fn text_capacity(self) -> usize {
        self.width
    }

    /// Its 8-byte slots: one variable record plus a continuation record per further slot.
    pub fn slots(self) -> usize {
        self.bytes / 8
    }
}

/// The segments of a numeric variable (`None`) or a string variable of `width` bytes.
pub fn segments(width: Option<usize>) -> Vec<Segment> {
    let Some(width) = width else {
        return vec![Segment { width: 0, bytes: 8 }];
    };
    let width = width.max(1);
    if width <= MAX_SHORT_STRING {
        return vec![Segment {
            width,
            bytes: width.next_multiple_of(8),
        }];
    }
    let count = width.div_ceil(EFFECTIVE_SEGMENT_WIDTH);
    (0..count)
        .map(|i| {
            let width = if i + 1 < count {
                MAX_SHORT_STRING
            } else {
                width - EFFECTIVE_SEGMENT_WIDTH * (count - 1)
            };
            Segment {
                width,
                bytes: width.next_multiple_of(8),
            }
        })
        .collect()
}

/// The width of the string a column's segments make up.
pub fn whole_width(parts: &[Segment]) -> usize {
    let last = parts.last().map_or(0, |s| s.width);
    EFFECTIVE_SEGMENT_WIDTH * (parts.len() - 1) + last
}

/// Appends `value` laid out over a string column's `segments`, space-padded.
pub fn write_text(record: &mut Vec<u8>, segments: &[Segment], mut value: &[u8]) {
    for segment in segments {
        let part = value.len().min(segment.text_capacity());
        record.extend_from_slice(&value[..part]);
        record.resize(record.len() + (segment.bytes - part), b' ');
        value = &value[part..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn very_long_strings_are_split_as_spss_does() {
        assert_eq!(segments(None), [Segment { width: 0, bytes: 8 }]);
        assert_eq!(segments(Some(0)), [Segment { width: 1, bytes: 8 }]);
        assert_eq!(
            segments(Some(255)),
            [Segment {
                width: 255,
                bytes: 256
            }]
        );
        // As ReadStat writes a 630-byte string: 255 + 255 + 126.
        let three = segments(Some(630));
        let widths: Vec<usize> = three.iter().map(|s| s.width).collect();
        assert_eq!(widths, [255, 255, 126]);
        let mut record = Vec::new();
        write_text(&mut record, &three, &[b'x'; 630]);
        assert_eq!(record.len(), 256 + 256 + 128);
        assert_eq!(record[254], b'x');
        assert_eq!(record[255], b' ');
        assert_eq!(&record[512..632], &[b'x'; 120]);
        assert_eq!(record[632], b' ');
    }
}
