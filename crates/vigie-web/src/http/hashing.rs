//! Password checks on a fixed pool of threads. Each Argon2id computation takes 19 MiB:
//! running them on `spawn_blocking` lets every new blocking thread keep its own malloc
//! arena full of freed 19 MiB blocks (600 MB measured after 50 simultaneous logins).
//! A few long-lived threads, each reusing one working buffer: the cost stays about
//! `threads × 19 MiB`.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Work for the pool: check a password, or hash a new one (a change of password).
enum Job {
    Verify(String, String, oneshot::Sender<bool>),
    Hash(String, oneshot::Sender<String>),
}

/// A bounded pool that verifies passwords.
#[derive(Debug, Clone)]
pub struct Hasher {
    tx: Arc<Mutex<mpsc::Sender<Job>>>,
}

impl Hasher {
    /// Starts `threads` worker threads (at least one).
    pub fn new(threads: usize) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    // This thread's Argon2 working memory, reused for every check.
                    let mut blocks = Vec::new();
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(Job::Verify(password, phc, reply)) => {
                                let _ = reply.send(vigie_store::password::verify_reusing(
                                    &password,
                                    &phc,
                                    &mut blocks,
                                ));
                            }
                            Ok(Job::Hash(password, reply)) => {
                                let _ = reply.send(vigie_store::password::hash(&password));
                            }
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "fil de calcul des mots de passe non démarré");
            }
        }
        Self {
            tx: Arc::new(Mutex::new(tx)),
        }
    }

    /// Verifies a password against a PHC hash; `false` on any failure.
    pub async fn verify(&self, password: String, phc: String) -> bool {
        let (reply, answer) = oneshot::channel();
        let sent = match self.tx.lock() {
            Ok(tx) => tx.send(Job::Verify(password, phc, reply)).is_ok(),
            Err(_) => false,
        };
        sent && answer.await.unwrap_or(false)
    }

    /// Hashes a new password (Argon2id, OWASP parameters) on the pool.
    pub async fn hash(&self, password: String) -> String {
        let (reply, answer) = oneshot::channel();
        let sent = match self.tx.lock() {
            Ok(tx) => tx.send(Job::Hash(password.clone(), reply)).is_ok(),
            Err(_) => false,
        };
        match (sent, answer.await) {
            (true, Ok(h)) => h,
            // The pool is gone (shutting down): hash here rather than fail the change.
            _ => vigie_store::password::hash(&password),
        }
    }
}
