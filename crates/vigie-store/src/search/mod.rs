//! Search by dossier number, 119/SNATED number or name (children, and the adults of the
//! « Parents » part), within the caller's scope: candidates by key in SQL
//! ([`candidates`]), the match and the ranking decided by the domain
//! ([`vigie_domain::search`]), so that both backends return the same rows in the same order.

pub(crate) mod candidates;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use vigie_domain::search::{Found, Names, Search, SearchHit, SearchResults, cmp_results};
use vigie_domain::{DossierNumber, DossierSummary, Scope};

use crate::Result;
use crate::audit::{Actor, Event};
use crate::db::Store;
use crate::dossiers::SUMMARY_SELECT;
use crate::persons::birth_from;
use crate::sql::{Sql, all_sql, get, scope_filter};
use candidates::{Who, WordKeys, find_best, typo_words};

/// Dossiers per page of results.
pub const PER_PAGE: usize = 50;

/// At most this many children, and as many adults, are ranked for one search (the most
/// recently recorded when more match: the search says to narrow it). Four pages of results;
/// ranking 500 cost a common name's search 17 ms at the median whatever the size of the
/// base (load benchmark, 100,000 dossiers, 200 agents: search p95 84.6 ms with 500, 26.0 ms
/// with 200).
pub const MAX_RANKED: usize = 200;

/// A dossier found and the best reason it was.
type Ranked = (i64, DateTime<Utc>, Found);

impl Store {
    /// Search by dossier number, 119/SNATED number or name, within the scope; page `page`
    /// (from 1) of the best matches. A birth year, month/year or date typed among the names
    /// narrows by birth date (`vigie_domain::search`). The terms are never logged nor
    /// audited; the dossiers shown are.
    pub async fn search_dossiers(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        text: &str,
        page: usize,
    ) -> Result<SearchResults> {
        let text = text.trim();
        crate::text_in("q", "Recherche", vigie_domain::text::TextKind::Short, text)?;
        let mut out = SearchResults {
            page: page.max(1),
            ..SearchResults::default()
        };
        if text.is_empty() || matches!(scope, Scope::Nothing) {
            return Ok(out);
        }
        let by_number = self.search_numbers(scope, text).await?;
        if by_number.is_empty() {
            let (ranked, truncated) = self.rank_by_name(scope, text).await?;
            out.truncated = truncated;
            out.total = ranked.len();
            let page_rows: Vec<&Ranked> = ranked
                .iter()
                .skip((out.page - 1) * PER_PAGE)
                .take(PER_PAGE)
                .collect();
            out.rows = self.summaries(&page_rows).await?;
        } else {
            out.total = by_number.len();
            out.rows = by_number
                .into_iter()
                .map(|dossier| SearchHit {
                    dossier,
                    found: None,
                })
                .collect();
        }
        out.pages = out.total.div_ceil(PER_PAGE);
        self.audit(
            now,
            actor,
            Event::new("dossier.recherche").detail(format!(
                "resultats={} ids={}",
                out.rows.len(),
                out.rows
                    .iter()
                    .map(|d| d.dossier.id.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        )
        .await?;
        Ok(out)
    }

    /// The dossiers with this number or 119/SNATED number, within the scope.
    async fn search_numbers(&self, scope: &Scope, text: &str) -> Result<Vec<DossierSummary>> {
        let mut q = Sql::new(SUMMARY_SELECT);
        scope_filter(&mut q, scope, "d");
        q.push(" AND (d.snated_number = ").bind(text.to_owned());
        if let Ok(n) = text.parse::<DossierNumber>() {
            q.push(" OR d.number = ").bind(n.to_string());
        }
        q.push(") ORDER BY d.received_at DESC, d.id DESC LIMIT ")
            .bind(i64::try_from(PER_PAGE).unwrap_or(50));
        self.summaries_of(&q).await
    }

    /// A search as typed and the keys of its required words (the stored words within one
    /// typo read from the vocabulary).
    async fn prepare(&self, text: &str) -> Result<(Search, WordKeys)> {
        let search = Search::parse(text);
        let typos = typo_words(&self.db, &[&search.typed]).await?;
        let keys = WordKeys::of(&search, &typos);
        Ok((search, keys))
    }

    /// Every dossier within the scope whose children or adults match the name typed, best
    /// first; and whether some candidates were left out.
    async fn rank_by_name(&self, scope: &Scope, text: &str) -> Result<(Vec<Ranked>, bool)> {
        let (search, keys) = self.prepare(text).await?;
        if keys.is_empty() {
            return Ok((vec![], false));
        }
        // Children and parents at once, on two connections.
        let children = async {
            let (ids, cut) = find_best(&self.db, Who::Child, &keys, scope, MAX_RANKED).await?;
            Ok::<_, crate::StoreError>((self.children_found(&search, scope, &ids).await?, cut))
        };
        let adults = async {
            if search.birth.is_some() {
                // A birth date typed searches a child.
                return Ok((vec![], false));
            }
            let (ids, cut) = find_best(&self.db, Who::Parent, &keys, scope, MAX_RANKED).await?;
            Ok((self.adults_found(&search, scope, &ids).await?, cut))
        };
        let ((children, cut_children), (adults, cut_adults)) = tokio::try_join!(children, adults)?;
        // A dossier found through several persons keeps its best reason.
        let mut best: HashMap<i64, (DateTime<Utc>, Found)> = HashMap::new();
        for (dossier, received, f) in children.into_iter().chain(adults) {
            let f = match best.remove(&dossier) {
                Some((_, old)) => Found::best(old, f),
                None => f,
            };
            best.insert(dossier, (received, f));
        }
        let mut ranked: Vec<Ranked> = best.into_iter().map(|(d, (r, f))| (d, r, f)).collect();
        ranked.sort_by(|a, b| cmp_results((&a.2, a.1, a.0), (&b.2, b.1, b.0)));
        Ok((ranked, cut_children || cut_adults))
    }

    /// The children (person ids) within the scope that match the name typed, best first,
    /// at most `limit` (the audit consultation's child filter).
    pub(crate) async fn children_matching(
        &self,
        scope: &Scope,
        text: &str,
        limit: usize,
    ) -> Result<Vec<i64>> {
        let (search, keys) = self.prepare(text).await?;
        let (ids, _) = find_best(&self.db, Who::Child, &keys, scope, MAX_RANKED).await?;
        let mut found: Vec<(i64, Found)> = self
            .persons_found(&search, &ids)
            .await?
            .into_iter()
            .collect();
        let same_day = DateTime::<Utc>::UNIX_EPOCH;
        found.sort_by(|a, b| cmp_results((&a.1, same_day, a.0), (&b.1, same_day, b.0)));
        Ok(found.into_iter().take(limit).map(|(id, _)| id).collect())
    }

    /// Which of the candidate children match, and why.
    async fn persons_found(&self, search: &Search, ids: &[i64]) -> Result<HashMap<i64, Found>> {
        let mut found: HashMap<i64, Found> = HashMap::new();
        if ids.is_empty() {
            return Ok(found);
        }
        let mut q = Sql::new(
            "SELECT id, birth_name, usage_name, first_names, birth_precision, birth_date FROM person WHERE id IN ",
        );
        q.bind_list(ids);
        for r in &all_sql(&self.db, &q).await? {
            if let Some(f) = search.child(&names_from(r)?, birth_from(r)?) {
                found.insert(get(r, "id")?, f);
            }
        }
        Ok(found)
    }

    /// The dossiers within the scope of the candidate children that match, with why.
    async fn children_found(
        &self,
        search: &Search,
        scope: &Scope,
        ids: &[i64],
    ) -> Result<Vec<Ranked>> {
        let found = self.persons_found(search, ids).await?;
        if found.is_empty() {
            return Ok(vec![]);
        }
        let matched: Vec<i64> = found.keys().copied().collect();
        let mut q = Sql::new(
            "SELECT dc.person_id, d.id, d.received_at FROM dossier_child dc JOIN dossier d ON d.id = dc.dossier_id WHERE dc.person_id IN ",
        );
        q.bind_list(&matched).push(" AND ");
        scope_filter(&mut q, scope, "d");
        let mut out = Vec::new();
        for r in &all_sql(&self.db, &q).await? {
            if let Some(f) = found.get(&get::<i64>(r, "person_id")?) {
                out.push((get(r, "id")?, get(r, "received_at")?, f.clone()));
            }
        }
        Ok(out)
    }

    /// The dossiers within the scope of the candidate adults that match, with why.
    async fn adults_found(
        &self,
        search: &Search,
        scope: &Scope,
        ids: &[i64],
    ) -> Result<Vec<Ranked>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Sql::new(
            "SELECT a.birth_name, a.usage_name, a.first_names, d.id, d.received_at FROM adult a JOIN dossier d ON d.id = a.dossier_id WHERE a.id IN ",
        );
        q.bind_list(ids).push(" AND ");
        scope_filter(&mut q, scope, "d");
        let mut out = Vec::new();
        for r in &all_sql(&self.db, &q).await? {
            if let Some(f) = search.parent(&names_from(r)?) {
                out.push((get(r, "id")?, get(r, "received_at")?, f));
            }
        }
        Ok(out)
    }

    /// The list rows of a page of ranked dossiers, in their order.
    async fn summaries(&self, page: &[&Ranked]) -> Result<Vec<SearchHit>> {
        if page.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<i64> = page.iter().map(|r| r.0).collect();
        let mut q = Sql::new(SUMMARY_SELECT);
        q.push("d.id IN ").bind_list(&ids);
        let rows = self.summaries_of(&q).await?;
        let mut by_id: HashMap<i64, DossierSummary> = rows.into_iter().map(|d| (d.id, d)).collect();
        Ok(page
            .iter()
            .filter_map(|(id, _, f)| {
                by_id.remove(id).map(|dossier| SearchHit {
                    dossier,
                    found: Some(f.clone()),
                })
            })
            .collect())
    }
}

/// The names of a `person` or `adult` row (`birth_name`, `usage_name`, `first_names`).
fn names_from(r: &sea_orm::QueryResult) -> Result<Names> {
    let birth: String = get(r, "birth_name")?;
    let usage: Option<String> = get(r, "usage_name")?;
    let first: Option<String> = get(r, "first_names")?;
    Ok(Names::of(&birth, usage.as_deref(), first.as_deref()))
}
