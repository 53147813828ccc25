//! Password hashing: Argon2id with the OWASP parameters (19 MiB, 2 passes, 1 lane).
//! CPU- and memory-heavy: the web layer bounds concurrent calls with a semaphore.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory cost (KiB) of one hash: 19 MiB (OWASP Password Storage Cheat Sheet).
pub const MEMORY_KIB: u32 = 19 * 1024;

fn argon2() -> Argon2<'static> {
    #[allow(clippy::expect_used)]
    let params = Params::new(MEMORY_KIB, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (PHC string).
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    #[allow(clippy::expect_used)]
    let salt = SaltString::encode_b64(&salt).expect("16-byte salt");
    #[allow(clippy::expect_used)]
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2id hashing")
        .to_string()
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// The same check as [`verify`], with the caller's Argon2 working memory (19 MiB),
/// reused from one call to the next: a long-lived worker thread keeps one buffer
/// instead of allocating and freeing 19 MiB per login.
pub fn verify_reusing(password: &str, phc: &str, blocks: &mut Vec<argon2::Block>) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    if h.algorithm != Algorithm::Argon2id.ident() {
        return verify(password, phc);
    }
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(&h) else {
        return false;
    };
    let version = h
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or(Version::V0x13);
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let n = params.block_count();
    if blocks.len() < n {
        blocks.resize(n, argon2::Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    if Argon2::new(Algorithm::Argon2id, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks[..n])
        .is_err()
    {
        return false;
    }
    // `Output` compares in constant time.
    argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// A hash of a random password, checked when the login does not exist, so the
/// answer takes the same time either way.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut r = [0u8; 24];
        fill_random(&mut r);
        hash(&hex::encode(r))
    })
}

/// Fills a buffer from the operating system's random source.
pub fn fill_random(buf: &mut [u8]) {
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("operating system random source");
}

impl crate::Store {
    /// What the password rule ([`vigie_domain::password::check`]) knows about an account
    /// and the place: its login and name, the names of the département(s) served, of their
    /// communes and their postal codes, and the year of `now`.
    pub async fn password_context(
        &self,
        login: &str,
        display_name: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::Result<vigie_domain::password::Context> {
        use chrono::Datelike;
        let r = self.reference().await?;
        let mut local_words: Vec<String> = r
            .instance
            .iter()
            .flat_map(|i| &i.departements)
            .filter_map(|d| vigie_domain::departements::name(d))
            .map(str::to_owned)
            .collect();
        for c in r.communes.iter() {
            local_words.push(c.name.clone());
            local_words.push(c.postal_code.clone());
        }
        Ok(vigie_domain::password::Context {
            login: login.to_owned(),
            display_name: display_name.to_owned(),
            local_words,
            year: now.year(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_verifies() {
        let h = hash("correct horse battery staple");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("Correct horse battery staple", &h));
        assert!(!verify("x", "not a hash"));
        assert_ne!(hash("a"), hash("a"), "salted");
        let mut blocks = Vec::new();
        for _ in 0..2 {
            assert!(verify_reusing(
                "correct horse battery staple",
                &h,
                &mut blocks
            ));
            assert!(!verify_reusing(
                "correct horse battery stapl",
                &h,
                &mut blocks
            ));
        }
        assert_eq!(
            blocks.len(),
            MEMORY_KIB as usize,
            "one 1 KiB block per KiB of memory cost"
        );
        assert!(!verify_reusing("x", "not a hash", &mut blocks));
    }
}
