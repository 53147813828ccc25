//! What dossiers count: the same queries as the counts read from the dossiers
//! (`super::super::counts`), grouped by dossier, then spread over each dossier's month,
//! territory, type and ways of scope.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use vigie_domain::stats::{Dimension, Measure};

use super::{Deltas, Key};
use crate::Result;
use crate::sql::{Sql, all_sql, get};
use crate::stats::counts::{Flag, Group, Restrict, count_rows};
use crate::stats::figures::{delay_rows, follow_up_rows};

/// A counter kind: what it counts, by which breakdowns (one or two keys).
pub(crate) struct Spec {
    pub kind: &'static str,
    pub measure: Measure,
    pub groups: &'static [Group<'static>],
}

/// Every count the counters keep (the delays and follow-ups are added apart).
pub(crate) const SPECS: &[Spec] = &[
    Spec {
        kind: "dossiers",
        measure: Measure::Dossiers,
        groups: &[],
    },
    Spec {
        kind: "dossiers.categorie",
        measure: Measure::Dossiers,
        groups: &[Group::Dim(Dimension::CategorieSignalant)],
    },
    Spec {
        kind: "dossiers.support",
        measure: Measure::Dossiers,
        groups: &[Group::Dim(Dimension::Support)],
    },
    Spec {
        kind: "dossiers.statut",
        measure: Measure::Dossiers,
        groups: &[Group::Dim(Dimension::Statut)],
    },
    Spec {
        kind: "dossiers.connu",
        measure: Measure::Dossiers,
        groups: &[Group::Flag(Flag::Known)],
    },
    Spec {
        kind: "dossiers.danger",
        measure: Measure::Dossiers,
        groups: &[Group::Flag(Flag::Danger)],
    },
    Spec {
        kind: "enfants",
        measure: Measure::Enfants,
        groups: &[],
    },
    Spec {
        kind: "enfants.age_sexe",
        measure: Measure::Enfants,
        groups: &[
            Group::Dim(Dimension::TrancheAge),
            Group::Dim(Dimension::Sexe),
        ],
    },
    Spec {
        kind: "enfants.motif",
        measure: Measure::Enfants,
        groups: &[Group::Dim(Dimension::Motif)],
    },
    Spec {
        kind: "enfants.resultat",
        measure: Measure::Enfants,
        groups: &[Group::Dim(Dimension::ResultatEvaluation)],
    },
    Spec {
        kind: "enfants.conclusion",
        measure: Measure::Enfants,
        groups: &[Group::Dim(Dimension::Conclusion)],
    },
];

pub(crate) const FOLLOW_UPS: &str = "suites";
pub(crate) const QUALIFICATION: &str = "delai.qualification";
pub(crate) const RETURNED: &str = "delai.retour";
pub(crate) const CONCLUSION: &str = "delai.conclusion";
pub(crate) const DEADLINE: &str = "delai.echeance";
/// Evaluations still open (neither returned nor cancelled), by month of their due date
/// (not of reception) and service: those overdue today are the months before this one.
pub(crate) const OPEN: &str = "evaluations.ouvertes";

/// Where a dossier counts.
struct Place {
    month: i64,
    territory: i64,
    type_id: i64,
    /// `0`, then each service it has an assignment with (and [`super::EVERYONE`], added
    /// by [`add_in`]).
    vias: Vec<i64>,
}

/// `AAAAMM` of an instant in the time zone.
pub(crate) fn month_of(at: DateTime<Utc>, tz: chrono_tz::Tz) -> i64 {
    let l = at.with_timezone(&tz);
    i64::from(l.year()) * 100 + i64::from(l.month())
}

async fn places(
    c: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    ids: &[i64],
) -> Result<HashMap<i64, Place>> {
    let mut q = Sql::new("SELECT id, received_at, territory_id, type_id FROM dossier WHERE id IN ");
    q.bind_list(ids);
    let mut out = HashMap::new();
    for r in all_sql(c, &q).await? {
        let at: DateTime<Utc> = get(&r, "received_at")?;
        out.insert(
            get::<i64>(&r, "id")?,
            Place {
                month: month_of(at, tz),
                territory: get(&r, "territory_id")?,
                type_id: get(&r, "type_id")?,
                vias: vec![0],
            },
        );
    }
    let mut q =
        Sql::new("SELECT DISTINCT dossier_id, service_id FROM assignment WHERE dossier_id IN ");
    q.bind_list(ids);
    for r in all_sql(c, &q).await? {
        if let Some(p) = out.get_mut(&get::<i64>(&r, "dossier_id")?) {
            p.vias.push(get(&r, "service_id")?);
        }
    }
    Ok(out)
}

fn add(out: &mut Deltas, p: Option<&Place>, kind: &'static str, k1: &str, k2: &str, n: i64) {
    if let Some(p) = p {
        add_in(out, p, p.month, kind, [k1, k2], n);
    }
}

/// Adds `n` to the counters of `kind` for a dossier at `p`, in month `month`.
fn add_in(
    out: &mut Deltas,
    p: &Place,
    month: i64,
    kind: &'static str,
    [k1, k2]: [&str; 2],
    n: i64,
) {
    // Each way by type and for every type (type 0), and the département's totals.
    let ways = p
        .vias
        .iter()
        .flat_map(|v| [(*v, p.territory, p.type_id), (*v, p.territory, 0)]);
    for (via, territory, type_id) in ways.chain([(super::EVERYONE, 0, 0)]) {
        *out.entry(Key {
            kind,
            via,
            month,
            territory,
            type_id,
            k1: k1.to_owned(),
            k2: k2.to_owned(),
        })
        .or_default() += n;
    }
}

/// What dossiers `ids` count, summed.
pub(crate) async fn contributions(
    c: &impl ConnectionTrait,
    tz: chrono_tz::Tz,
    ids: &[i64],
) -> Result<Deltas> {
    let mut out = Deltas::new();
    for chunk in ids.chunks(1_000) {
        let places = places(c, tz, chunk).await?;
        let r = Restrict::Ids(chunk);
        for s in SPECS {
            let mut groups = vec![Group::Dossier];
            groups.extend_from_slice(s.groups);
            for (key, n) in count_rows(c, r, s.measure, &groups).await? {
                let id: i64 = key[0].parse().unwrap_or_default();
                let k = |i: usize| key.get(i).map_or("", String::as_str);
                add(
                    &mut out,
                    places.get(&id),
                    s.kind,
                    k(1),
                    k(2),
                    i64::try_from(n).unwrap_or(0),
                );
            }
        }
        for (id, kind, state, n) in follow_up_rows(c, r).await? {
            add(&mut out, places.get(&id), FOLLOW_UPS, kind.code(), state, n);
        }
        let mut q = Sql::new(
            "SELECT a.dossier_id, a.due_on, a.service_id, COUNT(*) AS n FROM assignment a
             WHERE a.cancelled = FALSE AND a.returned_on IS NULL AND a.dossier_id IN ",
        );
        q.bind_list(chunk)
            .push(" GROUP BY a.dossier_id, a.due_on, a.service_id");
        for row in all_sql(c, &q).await? {
            let due: NaiveDate = get(&row, "due_on")?;
            let month = i64::from(due.year()) * 100 + i64::from(due.month());
            if let Some(p) = places.get(&get::<i64>(&row, "dossier_id")?) {
                let service: i64 = get(&row, "service_id")?;
                add_in(
                    &mut out,
                    p,
                    month,
                    OPEN,
                    [&service.to_string(), ""],
                    get(&row, "n")?,
                );
            }
        }
        for (id, facts) in delay_rows(c, tz, r).await? {
            let k = facts.keys();
            let p = places.get(&id);
            for (kind, v) in [
                (QUALIFICATION, k.qualification),
                (RETURNED, k.returned),
                (CONCLUSION, k.conclusion),
            ] {
                if let Some(v) = v {
                    add(&mut out, p, kind, &v.to_string(), "", 1);
                }
            }
            if let Some(d) = k.deadline {
                add(&mut out, p, DEADLINE, &d.code(), "", 1);
            }
        }
    }
    Ok(out)
}
