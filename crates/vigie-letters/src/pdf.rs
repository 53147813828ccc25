//! PDF through LibreOffice: a bounded pool of `soffice --headless` child processes.
//!
//! At most `workers` conversions run at once (a caller waits for a free worker); each worker has
//! its own LibreOffice profile directory (`-env:UserInstallation=…`), since two processes sharing
//! one profile block each other; a conversion that passes the timeout is killed with its whole
//! process group (soffice starts soffice.bin). Nothing is downloaded: LibreOffice is a system
//! package (`libreoffice-writer-nogui`), found on the PATH or at the configured path.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::{Format, LetterError};

/// Settings of the pool.
#[derive(Debug, Clone)]
pub struct PdfSettings {
    /// The `soffice` program; when `None`, looked for on the PATH.
    pub program: Option<PathBuf>,
    /// Conversions at once (each a LibreOffice process, ~150 MiB while it runs).
    pub workers: usize,
    /// A conversion taking longer is killed.
    pub timeout: Duration,
    /// Where the pool makes its private folder (mode 0700, removed with the pool) for the
    /// workers' profiles and the conversions' files.
    pub work_dir: PathBuf,
}

/// The pool; one per process, shared by every request.
#[derive(Debug)]
pub struct PdfPool {
    program: PathBuf,
    timeout: Duration,
    /// Private to this pool: two pools (two servers on one host) never share a file.
    work_dir: tempfile::TempDir,
    free: Mutex<Vec<usize>>,
    available: Condvar,
}

/// Why PDF is not offered, in French, for the screen that shows the choice disabled.
pub fn unavailable_reason(settings: &PdfSettings) -> Option<String> {
    match find_program(settings) {
        Some(_) => None,
        None => Some(
            "LibreOffice n'est pas installé sur le serveur (paquet libreoffice-writer-nogui) : \
             les courriers sont produits en DOCX ou ODT seulement"
                .to_owned(),
        ),
    }
}

fn find_program(settings: &PdfSettings) -> Option<PathBuf> {
    if let Some(p) = &settings.program {
        return p.is_file().then(|| p.clone());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("soffice"))
        .find(|p| p.is_file())
}

impl PdfPool {
    /// The pool, or `None` when LibreOffice is not installed.
    pub fn new(settings: &PdfSettings) -> Option<PdfPool> {
        let program = find_program(settings)?;
        let workers = settings.workers.max(1);
        std::fs::create_dir_all(&settings.work_dir).ok()?;
        let work_dir = tempfile::Builder::new()
            .prefix("vigie-pdf-")
            .tempdir_in(&settings.work_dir)
            .ok()?;
        Some(PdfPool {
            program,
            timeout: settings.timeout,
            work_dir,
            free: Mutex::new((0..workers).rev().collect()),
            available: Condvar::new(),
        })
    }

    /// Converts a DOCX or ODT to PDF. Blocks until a worker is free and the conversion is done:
    /// call it from a blocking thread.
    pub fn convert(&self, document: &[u8], format: Format) -> Result<Vec<u8>, LetterError> {
        let mut pdfs = self.convert_all(&[document], format)?;
        pdfs.pop()
            .ok_or_else(|| LetterError::Pdf("LibreOffice n'a pas produit de PDF".into()))
    }

    /// Converts several documents of one format with ONE LibreOffice process (its start-up, about
    /// a second, is paid once): the PDFs in the order given. Blocks like [`PdfPool::convert`];
    /// the timeout grows by 10 seconds per document after the first. Callers keep batches to a
    /// few dozen documents and run several batches at once to use every worker.
    pub fn convert_all(
        &self,
        documents: &[&[u8]],
        format: Format,
    ) -> Result<Vec<Vec<u8>>, LetterError> {
        if documents.is_empty() {
            return Ok(Vec::new());
        }
        let worker = self.acquire();
        let result = self.run(worker, documents, format);
        self.release(worker);
        result
    }

    fn acquire(&self) -> usize {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(w) = free.pop() {
                return w;
            }
            free = self.available.wait(free).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn release(&self, worker: usize) {
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(worker);
        self.available.notify_one();
    }

    fn run(
        &self,
        worker: usize,
        documents: &[&[u8]],
        format: Format,
    ) -> Result<Vec<Vec<u8>>, LetterError> {
        let fail = |what: &str| LetterError::Pdf(what.to_owned());
        let profile = self.work_dir.path().join(format!("profil-{worker}"));
        let job = self.work_dir.path().join(format!("travail-{worker}"));
        // A previous conversion killed midway may have left files: start clean.
        let _ = std::fs::remove_dir_all(&job);
        std::fs::create_dir_all(&job).map_err(|_| fail("dossier de travail impossible à créer"))?;
        let mut inputs = Vec::with_capacity(documents.len());
        for (n, document) in documents.iter().enumerate() {
            let input = job.join(format!("courrier-{n}.{}", format.extension()));
            std::fs::write(&input, document)
                .map_err(|_| fail("écriture du document impossible"))?;
            inputs.push(input);
        }
        let mut command = Command::new(&self.program);
        command
            .arg(format!("-env:UserInstallation={}", file_url(&profile)))
            .args([
                "--headless",
                "--norestore",
                "--nologo",
                "--nodefault",
                "--nolockcheck",
            ])
            .args(["--convert-to", "pdf:writer_pdf_Export", "--outdir"])
            .arg(&job)
            .args(&inputs)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command
            .spawn()
            .map_err(|_| fail("LibreOffice n'a pas pu être lancé"))?;
        let extra = u32::try_from(documents.len().saturating_sub(1)).unwrap_or(u32::MAX);
        let timeout = self.timeout + Duration::from_secs(10).saturating_mul(extra);
        let deadline = Instant::now() + timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    kill_group(child.id());
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = std::fs::remove_dir_all(&job);
                    return Err(fail(&format!(
                        "LibreOffice n'a pas répondu en {} secondes",
                        timeout.as_secs()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => return Err(fail("LibreOffice s'est arrêté anormalement")),
            }
        };
        let pdfs: Vec<Option<Vec<u8>>> = (0..documents.len())
            .map(|n| {
                std::fs::read(job.join(format!("courrier-{n}.pdf")))
                    .ok()
                    .filter(|pdf| pdf.starts_with(b"%PDF"))
            })
            .collect();
        let _ = std::fs::remove_dir_all(&job);
        if !status.success() {
            return Err(fail("LibreOffice n'a pas produit de PDF pour ce document"));
        }
        pdfs.into_iter()
            .enumerate()
            .map(|(n, pdf)| {
                pdf.ok_or_else(|| {
                    fail(&if documents.len() == 1 {
                        "LibreOffice n'a pas produit de PDF pour ce document".to_owned()
                    } else {
                        format!(
                            "LibreOffice n'a pas produit de PDF pour le document n° {}",
                            n + 1
                        )
                    })
                })
            })
            .collect()
    }
}

fn file_url(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", absolute.display()).replace(' ', "%20")
}

/// Kills a process group (soffice and the soffice.bin it starts).
fn kill_group(pid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
