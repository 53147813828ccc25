//! What the benchmarks share: settings from the environment, this process's memory (current and
//! peak RSS, read from /proc) and the peak RSS of the LibreOffice processes.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A field of /proc/<pid>/status, in KiB.
pub fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn peak_mib() -> f64 {
    mib("VmHWM:")
}

/// Samples the RSS of every soffice.bin process every 50 ms; keeps the peak of their sum.
pub fn watch_libreoffice(
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let mut sum = 0;
            if let Ok(dir) = std::fs::read_dir("/proc") {
                for e in dir.flatten() {
                    let pid = e.file_name().to_string_lossy().into_owned();
                    if !pid.bytes().all(|b| b.is_ascii_digit()) {
                        continue;
                    }
                    let name =
                        std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                    if name.trim() == "soffice.bin" {
                        sum += status_kib(&pid, "VmRSS:").unwrap_or(0);
                    }
                }
            }
            peak.fetch_max(sum, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// A memory field of this process (`VmRSS:`, `VmHWM:`), in MiB.
pub fn mib(field: &str) -> f64 {
    status_kib("self", field).unwrap_or(0) as f64 / 1024.0
}
