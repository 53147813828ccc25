//! Synthetic trails for benchmarks and tests (feature `testing`).

use super::*;
use crate::sql::exec_sql;

/// Fills the trail with `n` synthetic entries, chained as [`append`] chains them, with
/// multi-row inserts (benchmarks and tests only): actions, users, dossiers, details and
/// addresses vary; entry `i` is recorded at `first_at + i × step`.
pub async fn bulk_append_synthetic(
    store: &Store,
    n: u64,
    first_at: DateTime<Utc>,
    step: chrono::Duration,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    const ACTIONS: [&str; 6] = [
        "dossier.consultation",
        "dossier.modification",
        "dossier.recherche",
        "connexion",
        "dossier.historique",
        "deconnexion",
    ];
    const ROWS_PER_INSERT: u64 = 2_000;
    const ROWS_PER_TXN: u64 = 100_000;
    let mut done = 0u64;
    while done < n {
        let txn = store.write().await?;
        let head = lock_head(&txn).await?;
        let mac = match head.key_id {
            Some(id) => Some(store.keys.key(id).map_err(StoreError::Config)?.chain_mac()),
            None => None,
        };
        let (mut seq, mut prev) = (head.seq, head.hash);
        let in_txn = (n - done).min(ROWS_PER_TXN);
        let mut written = 0u64;
        while written < in_txn {
            let rows = (in_txn - written).min(ROWS_PER_INSERT);
            let mut q = Sql::new(
                "INSERT INTO audit_entry (seq, at, user_id, action, object_type, object_id, detail, ip, prev_hash, hash) VALUES ",
            );
            let mut values = Vec::with_capacity(rows as usize);
            for _ in 0..rows {
                let i = done + written + values.len() as u64;
                seq += 1;
                let at = (first_at + step * i as i32).trunc_subsecs(6);
                let action = ACTIONS[(i % ACTIONS.len() as u64) as usize];
                let user_id = (!i.is_multiple_of(7)).then_some(1 + (i % 40) as i64);
                let on_dossier = action.starts_with("dossier.") && action != "dossier.recherche";
                let object_type = on_dossier.then_some("dossier");
                let object_id = on_dossier.then_some(1 + (i % 100_000) as i64);
                let detail = match action {
                    "dossier.modification" => Some(format!("revisions={};champs=expose", i)),
                    "dossier.recherche" => Some(format!("resultats={}", i % 50)),
                    _ => None,
                };
                let ip = Some(format!("10.0.{}.{}", (i / 250) % 250, i % 250));
                let fields = Fields {
                    prev: &prev,
                    seq,
                    at,
                    user_id,
                    action,
                    object_type,
                    object_id,
                    detail: detail.as_deref(),
                    ip: ip.as_deref(),
                };
                let hash = match &mac {
                    Some(m) => mac_fields(m, &fields),
                    None => hash_fields(&fields),
                };
                values.push(vals![
                    seq,
                    at,
                    user_id,
                    action,
                    object_type,
                    object_id,
                    detail,
                    ip,
                    std::mem::replace(&mut prev, hash.clone()),
                    hash
                ]);
            }
            written += values.len() as u64;
            q.rows(values);
            exec_sql(&txn, &q).await?;
        }
        exec(
            &txn,
            "UPDATE audit_head SET last_seq = $1, last_hash = $2 WHERE id = 1",
            vals![seq, prev],
        )
        .await?;
        txn.commit().await?;
        done += in_txn;
        progress(done);
    }
    Ok(())
}
