//! Consultation of the trail (`/tracabilite`): by user, dossier, child (a person, across
//! its dossiers), action, period; newest first, keyset paging.

use super::*;

/// An action filter: one action, or every action of a family (`dossier.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionFilter {
    Exact(String),
    /// Actions starting with this text (`dossier.` for `dossier.*`).
    Prefix(String),
}

impl ActionFilter {
    /// `dossier.*` is a family (prefix `dossier.`); anything else, one action (an unknown
    /// one matches nothing). A control character, which no action holds, is no filter
    /// (the web refuses it before: a French 422).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() || vigie_domain::text::forbidden_char(s, false).is_some() {
            None
        } else if let Some(p) = s.strip_suffix('*') {
            (!p.is_empty()).then(|| Self::Prefix(p.to_owned()))
        } else {
            Some(Self::Exact(s.to_owned()))
        }
    }
}

/// What the consultation page filters on (all optional, combined with AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    pub dossier_id: Option<i64>,
    /// A child (a person): every entry on a dossier where the person is (or was linked as)
    /// a child, and the entries on the person itself.
    pub person_id: Option<i64>,
    pub action: Option<ActionFilter>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// One entry as the consultation page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub user_login: Option<String>,
    pub user_name: Option<String>,
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    /// The dossier's number, when the object is a dossier that still exists.
    pub dossier_number: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

/// One page of the consultation, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The cursor of the next (older) page: entries before this sequence number.
    pub next: Option<i64>,
}

/// A child found by name for the consultation's child filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildCandidate {
    pub person_id: i64,
    pub person: Person,
    /// The numbers of the person's dossiers within the caller's scope, newest first.
    pub dossiers: Vec<DossierNumber>,
}

impl Store {
    /// The dossiers a person is or was a child of: its dossiers now, and those where it was
    /// linked or unlinked (the `personne.liaison` / `personne.deliaison` entries name it).
    async fn dossiers_of_person(&self, person_id: i64) -> Result<Vec<i64>> {
        let mut ids: Vec<i64> = all(
            &self.db,
            "SELECT dossier_id FROM dossier_child WHERE person_id = $1",
            vals![person_id],
        )
        .await?
        .iter()
        .map(|r| get::<i64>(r, "dossier_id"))
        .collect::<Result<_>>()?;
        let linked = all(
            &self.db,
            "SELECT DISTINCT object_id FROM audit_entry
             WHERE action IN ('personne.liaison', 'personne.deliaison') AND object_type = 'dossier'
               AND detail LIKE $1",
            vals![format!("%;personne={person_id}")],
        )
        .await?;
        for r in &linked {
            if let Some(id) = get::<Option<i64>>(r, "object_id")? {
                ids.push(id);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// One page of the trail, newest first, filtered in SQL; `before`: the cursor
    /// ([`AuditPage::next`] of the previous page). Reserved to the audit readers: the
    /// route checks the permission, and the caller records the consultation.
    pub async fn audit_search(
        &self,
        f: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<AuditPage> {
        let person_dossiers = match f.person_id {
            Some(p) => Some(self.dossiers_of_person(p).await?),
            None => None,
        };
        let mut q = Sql::new(
            "SELECT a.seq, a.at, a.user_id, u.login AS user_login, u.display_name AS user_name,
                    a.action, a.object_type, a.object_id, d.number AS dossier_number, a.detail, a.ip
             FROM audit_entry a
             LEFT JOIN app_user u ON u.id = a.user_id
             LEFT JOIN dossier d ON a.object_type = 'dossier' AND d.id = a.object_id
             WHERE 1 = 1",
        );
        if let Some(u) = f.user_id {
            q.push(" AND a.user_id = ").bind(u);
        }
        if let Some(d) = f.dossier_id {
            q.push(" AND ((a.object_type = 'dossier' AND a.object_id = ")
                .bind(d)
                .push(")");
            listed_in(&mut q, &[d]);
            q.push(")");
        }
        if let (Some(p), Some(ds)) = (f.person_id, &person_dossiers) {
            q.push(" AND ((a.object_type IN ('personne', 'person') AND a.object_id = ")
                .bind(p)
                .push(")");
            if !ds.is_empty() {
                q.push(" OR (a.object_type = 'dossier' AND a.object_id IN ")
                    .bind_list(ds)
                    .push(")");
                listed_in(&mut q, ds);
            }
            q.push(")");
        }
        match &f.action {
            Some(ActionFilter::Exact(a)) => {
                q.push(" AND a.action = ").bind(a.clone());
            }
            Some(ActionFilter::Prefix(p)) => {
                // The length is a number computed here, not input: written into the text
                // (PostgreSQL's substr wants an integer, sqlx binds a bigint).
                q.push(&format!(
                    " AND substr(a.action, 1, {}) = ",
                    p.chars().count()
                ))
                .bind(p.clone());
            }
            None => {}
        }
        if let Some(t) = f.from {
            q.push(" AND a.at >= ").bind(t);
        }
        if let Some(t) = f.to {
            q.push(" AND a.at < ").bind(t);
        }
        if let Some(b) = before {
            q.push(" AND a.seq < ").bind(b);
        }
        q.push(" ORDER BY a.seq DESC LIMIT ")
            .bind(i64::from(limit) + 1);
        let rows = all_sql(&self.db, &q).await?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    seq: get(r, "seq")?,
                    at: get(r, "at")?,
                    user_id: get(r, "user_id")?,
                    user_login: get(r, "user_login")?,
                    user_name: get(r, "user_name")?,
                    action: get(r, "action")?,
                    object_type: get(r, "object_type")?,
                    object_id: get(r, "object_id")?,
                    dossier_number: get(r, "dossier_number")?,
                    detail: get(r, "detail")?,
                    ip: get(r, "ip")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next = if out.len() > limit as usize {
            out.truncate(limit as usize);
            out.last().map(|r| r.seq)
        } else {
            None
        };
        Ok(AuditPage { rows: out, next })
    }

    /// Loads persons with their dossiers within the scope (persons without one are dropped).
    async fn child_candidates(&self, scope: &Scope, ids: &[i64]) -> Result<Vec<ChildCandidate>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut q = Sql::new(
            "SELECT dc.person_id, d.number FROM dossier_child dc JOIN dossier d ON d.id = dc.dossier_id WHERE ",
        );
        scope_filter(&mut q, scope, "d");
        q.push(" AND dc.person_id IN ")
            .bind_list(ids)
            .push(" ORDER BY d.received_at DESC, d.id DESC");
        let mut dossiers: std::collections::HashMap<i64, Vec<DossierNumber>> =
            std::collections::HashMap::new();
        for r in &all_sql(&self.db, &q).await? {
            let number: String = get(r, "number")?;
            if let Ok(n) = number.parse::<DossierNumber>() {
                dossiers.entry(get(r, "person_id")?).or_default().push(n);
            }
        }
        let mut q = Sql::new(
            "SELECT id, birth_name, usage_name, first_names, sex, birth_precision, birth_date FROM person WHERE id IN ",
        );
        q.bind_list(ids);
        let mut persons: std::collections::HashMap<i64, Person> = std::collections::HashMap::new();
        for r in &all_sql(&self.db, &q).await? {
            persons.insert(get(r, "id")?, person_from(r)?);
        }
        Ok(ids
            .iter()
            .filter_map(|id| {
                let ds = dossiers.remove(id)?;
                Some(ChildCandidate {
                    person_id: *id,
                    person: persons.remove(id)?,
                    dossiers: ds,
                })
            })
            .collect())
    }

    /// Children found by name (as the dossier search finds them) for the consultation's
    /// child filter, best first, with their dossiers within the scope; the search is
    /// recorded (the number of results, never the text).
    pub async fn audit_find_children(
        &self,
        now: DateTime<Utc>,
        actor: &Actor,
        scope: &Scope,
        text: &str,
    ) -> Result<Vec<ChildCandidate>> {
        crate::text_in(
            "q",
            "Nom de l'enfant",
            vigie_domain::text::TextKind::Short,
            text,
        )?;
        let ids = self.children_matching(scope, text, 20).await?;
        let found = self.child_candidates(scope, &ids).await?;
        self.audit(
            now,
            actor,
            Event::new("audit.recherche_enfant").detail(format!("resultats={}", found.len())),
        )
        .await?;
        Ok(found)
    }

    /// The id of the dossier with this number, for the consultation's dossier filter
    /// (`None`: no such dossier, or deleted since).
    pub async fn audit_dossier_id(&self, number: DossierNumber) -> Result<Option<i64>> {
        one(
            &self.db,
            "SELECT id FROM dossier WHERE number = $1",
            vals![number.to_string()],
        )
        .await?
        .map(|r| get::<i64>(&r, "id"))
        .transpose()
    }

    /// One child (person) with its dossiers within the scope, to name the child filter.
    pub async fn audit_child(&self, scope: &Scope, person_id: i64) -> Result<ChildCandidate> {
        self.child_candidates(scope, &[person_id])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }
}

/// ` OR (…)`: the entries of lists that showed one of these dossiers (list page, API list,
/// échéances, search): their detail ends with `ids=1,2,3` (see `Store::record_listing`).
fn listed_in(q: &mut Sql, dossiers: &[i64]) {
    q.push(" OR (a.action IN ('dossier.liste', 'dossier.echeances', 'dossier.recherche') AND (");
    for (i, d) in dossiers.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push("(a.detail || ',') LIKE ")
            .bind(format!("%ids={d},%"))
            .push(" OR (a.detail || ',') LIKE ")
            .bind(format!("%,{d},%"));
    }
    q.push("))");
}
