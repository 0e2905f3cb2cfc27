//! What a draft's engine depends on besides its answers.

use fieldline_form::instance::Environment;
use serde::{Deserialize, Serialize};

/// The stored facts of a draft that its engine environment is computed from. They never change
/// after the draft starts, so every replay (on the device or in the UI) computes the same
/// values, `uuid()`, `random()`, `today()` and the metadata included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftFacts {
    /// UUIDv7 of the interview.
    pub instance_id: String,
    pub form_id: String,
    pub form_version: String,
    /// The interview's start, milliseconds since 1970-01-01T00:00:00Z.
    pub created_at: i64,
    /// The device's offset from UTC when the interview started.
    pub utc_offset_minutes: i32,
    pub device_id: String,
    /// The enumerator when the interview started.
    pub username: String,
}

impl DraftFacts {
    /// The form engine's environment for this draft.
    pub fn environment(&self) -> Environment {
        Environment {
            now_millis: self.created_at as f64,
            utc_offset_minutes: self.utc_offset_minutes,
            device_id: self.device_id.clone(),
            username: self.username.clone(),
            seed: seed_of(&self.instance_id),
            instance_id: Some(self.instance_id.clone()),
            ..Environment::default()
        }
    }
}

/// The random seed of an interview: its UUID's 128 bits folded to 64 (the low half, as the
/// store has always computed it), or 0 for an id that is not a UUID.
fn seed_of(instance_id: &str) -> u64 {
    let hex: String = instance_id.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return 0;
    }
    u128::from_str_radix(&hex, 16).map_or(0, |bits| bits as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_the_low_half_of_the_uuid() {
        assert_eq!(
            seed_of("0193a5b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"),
            0x9a0b_1c2d_3e4f_5a6b
        );
        assert_eq!(seed_of("not-a-uuid"), 0);
    }
}
