//! The bulk insert (multi-row `VALUES` on SQLite, one array per column on PostgreSQL)
//! writes every column, NULL or not, the same way on both backends.

use vigie_domain::Scope;
use vigie_store::Actor;
use vigie_store::dossiers::ListFilter;
use vigie_store::testing::{TestDb, now};

#[tokio::test]
async fn bulk_loaded_dossiers_read_back_identical_on_both_backends() {
    let mut loads = Vec::new();
    for db in TestDb::both().await {
        let s = &db.store;
        s.seed_demo_reference().await.unwrap();
        assert_eq!(s.generate_demo(now(), 11, 400, |_| {}).await.unwrap(), 400);
        let page = s
            .list_dossiers(&Scope::All, &ListFilter::default(), None, 400)
            .await
            .unwrap();
        assert_eq!(page.rows.len(), 400);
        let mut records = Vec::new();
        for row in &page.rows {
            records.push(
                s.read_dossier(now(), &Actor::system(), &Scope::All, row.id)
                    .await
                    .unwrap(),
            );
        }
        records.sort_by_key(|r| r.id);
        // Optional columns come both empty and filled: the NULLs went through too.
        let observed: Vec<bool> = records
            .iter()
            .map(|r| r.header.observation.is_some())
            .collect();
        assert!(observed.contains(&true) && observed.contains(&false));
        let done: Vec<bool> = records
            .iter()
            .flat_map(|r| r.follow_ups.iter().map(|f| f.done_at.is_some()))
            .collect();
        assert!(done.contains(&true) && done.contains(&false));
        loads.push(records);
        db.finish().await;
    }
    if let [sqlite, postgres] = &loads[..] {
        for (a, b) in sqlite.iter().zip(postgres) {
            assert_eq!(a, b);
        }
    }
}
