//! Secrets and their hashes: passwords (argon2id), session and device tokens, enrollment codes,
//! CSRF tokens. The storage keeps only what these functions derive; the secrets themselves are
//! shown once. Secrets presented by a client are either looked up by their hash (tokens, codes)
//! or compared with [`same_secret`], in time that does not depend on where they differ.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Letters and digits nobody confuses when reading a code aloud or typing it: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const CODE_LENGTH: usize = 12;
const CODE_GROUP: usize = 4;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The operating system's generator does not fail on the systems Fieldline runs on; without
    // it no secret can be made safely, so there is nothing better to do than stop.
    getrandom::fill(&mut bytes).expect("the operating system's random generator is available");
    bytes
}

/// An argon2id PHC string of `password` (default parameters, a random salt).
pub fn hash_password(password: &str) -> String {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes make a valid argon2 salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with its default parameters")
        .to_string()
}

/// Whether `password` matches a PHC string made by [`hash_password`] (false for a malformed
/// one).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A new session or device token: 32 random bytes, URL-safe base64 without padding.
pub fn new_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the storage keeps of a token: SHA-256, lowercase hex.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// SHA-256 of `bytes`, lowercase hex (how payloads, workbooks and attachments are named).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The CSRF token of a browser session: derived from the session token (which never reaches
/// JavaScript), so nothing more is stored and a signed-out session's token dies with it. Knowing
/// it reveals nothing of the session token (SHA-256 is one-way); the domain string keeps it from
/// ever equalling a token's stored hash.
pub fn csrf_token_for(session_token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"fieldline csrf token v1\0")
        .chain_update(session_token.as_bytes())
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Whether two secrets are equal, compared in constant time (for their length), so the time
/// an answer takes does not tell an attacker how many leading characters they guessed right.
pub fn same_secret(presented: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    presented.len() == expected.len() && bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// A new one-time enrollment code people can type: `XXXX-XXXX-XXXX` from
/// [`CODE_ALPHABET`] (about 59 bits).
pub fn new_enrollment_code() -> String {
    let mut code = String::with_capacity(CODE_LENGTH + CODE_LENGTH / CODE_GROUP);
    let mut made = 0;
    while made < CODE_LENGTH {
        for byte in random_bytes::<32>() {
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - 256 % CODE_ALPHABET.len();
            if usize::from(byte) >= limit || made == CODE_LENGTH {
                continue;
            }
            if made > 0 && made % CODE_GROUP == 0 {
                code.push('-');
            }
            code.push(char::from(
                CODE_ALPHABET[usize::from(byte) % CODE_ALPHABET.len()],
            ));
            made += 1;
        }
    }
    code
}

/// A code as typed, made canonical: uppercase, without spaces or dashes.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// What the storage keeps of an enrollment code: the hash of its canonical form, so
/// `abcd efgh-jkmn` and `ABCD-EFGH-JKMN` are the same code.
pub fn enrollment_code_hash(code: &str) -> String {
    token_hash(&normalize_code(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password(
            "correct horse battery",
            "not a phc string"
        ));
        assert_ne!(hash, hash_password("correct horse battery"), "salted");
    }

    #[test]
    fn tokens_are_random_url_safe_and_hashed_to_hex() {
        let tokens: HashSet<String> = (0..100).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 100);
        for token in &tokens {
            assert_eq!(token.len(), 43, "{token}");
            assert!(token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        }
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn csrf_tokens_belong_to_their_session_and_compare_whole() {
        let session = new_token();
        let csrf = csrf_token_for(&session);
        assert_eq!(csrf, csrf_token_for(&session), "stable for a session");
        assert_ne!(csrf, csrf_token_for(&new_token()));
        assert_ne!(csrf, token_hash(&session));
        assert_eq!(csrf.len(), 43);
        assert!(same_secret(&csrf, &csrf.clone()));
        assert!(!same_secret(&csrf[..42], &csrf));
        assert!(!same_secret("", &csrf));
        let mut other = csrf.clone().into_bytes();
        other[42] = if other[42] == b'A' { b'B' } else { b'A' };
        assert!(!same_secret(&String::from_utf8(other).unwrap(), &csrf));
    }

    #[test]
    fn enrollment_codes_are_typable_grouped_and_normalized() {
        let codes: HashSet<String> = (0..200).map(|_| new_enrollment_code()).collect();
        assert_eq!(codes.len(), 200);
        for code in &codes {
            assert_eq!(code.len(), 14, "{code}");
            let groups: Vec<&str> = code.split('-').collect();
            assert_eq!(groups.len(), 3, "{code}");
            assert!(groups.iter().all(|g| g.len() == 4), "{code}");
            assert!(
                code.bytes()
                    .all(|b| b == b'-' || CODE_ALPHABET.contains(&b)),
                "{code}"
            );
            assert_eq!(normalize_code(code).len(), 12);
        }
        assert_eq!(normalize_code(" abcd-efgh  jkmn\t"), "ABCDEFGHJKMN");
        assert_eq!(
            enrollment_code_hash("abcd efgh-jkmn"),
            enrollment_code_hash("ABCD-EFGH-JKMN")
        );
        for confusable in [b'0', b'O', b'1', b'I', b'L'] {
            assert!(!CODE_ALPHABET.contains(&confusable));
        }
    }
}
