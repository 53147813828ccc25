//! The dashboard's tables for a period: each read through the store's statistics layer and
//! built by the domain; small counts hidden for an aggregates-only viewer.

use chrono::NaiveDate;
use vigie_domain::FollowUpKind;
use vigie_domain::catalog::Catalog;
use vigie_domain::stats::build::{self, CrossCounts, Spec};
use vigie_domain::stats::delays::Delays;
use vigie_domain::stats::{
    Axis, Bucket, ChartKind, Dimension, Label, Measure, Period, Table, Value, suppress,
};
use vigie_store::stats::{Group, StatsFilter};

use super::{Resolved, Viewer};
use crate::AppState;
use crate::http::error::WebError;

type R<T> = Result<T, WebError>;

/// Counts of a cross-tab: cells, margins and total, each counted in SQL.
pub async fn cross_counts(
    state: &AppState,
    f: &StatsFilter,
    measure: Measure,
    rows: Group<'_>,
    columns: Option<Group<'_>>,
) -> R<CrossCounts> {
    let s = &state.store;
    let total = s.stats_count(f, measure, &[]).await?.values().sum::<u64>();
    Ok(match columns {
        None => CrossCounts {
            cells: s.stats_count(f, measure, &[rows]).await?,
            total,
            ..Default::default()
        },
        Some(c) => CrossCounts {
            cells: s.stats_count(f, measure, &[rows, c]).await?,
            rows: s.stats_count(f, measure, &[rows]).await?,
            columns: s.stats_count(f, measure, &[c]).await?,
            total,
        },
    })
}

/// The grouping of a dimension over the period's buckets.
pub fn group(d: Dimension, buckets: &[Bucket]) -> Group<'_> {
    if d.is_time() {
        Group::Time(buckets)
    } else {
        Group::Dim(d)
    }
}

/// One cross-tab's table.
pub async fn cross_table(
    state: &AppState,
    cat: &Catalog,
    f: &StatsFilter,
    spec: &Spec<'_>,
    buckets: &[Bucket],
    aggregates_only: bool,
) -> R<Table> {
    let n = cross_counts(
        state,
        f,
        spec.measure,
        group(spec.rows, buckets),
        spec.columns.map(|c| group(c, buckets)),
    )
    .await?;
    let mut t = build::crosstab(spec, cat, buckets, &n);
    if aggregates_only {
        let m = spec.measure;
        build::aggregates_only(
            &mut t,
            spec.rows.multi_valued(m),
            spec.columns.is_some_and(|c| c.multi_valued(m)),
        );
    }
    Ok(t)
}

fn count_of(c: &build::Counts) -> u64 {
    c.values().sum()
}

/// The headline figures of one period.
struct Key {
    dossiers: u64,
    children: u64,
    known: u64,
    danger: u64,
    /// The parquet follow-ups: done, not done with a reason, pending.
    parquet_row: [u64; 3],
    /// Every follow-up kind (the « Suites » table of the period shown reuses them).
    follow_ups: Vec<vigie_store::stats::FollowUpRow>,
    delays: Delays,
}

async fn key_of(state: &AppState, f: &StatsFilter, under_two: Option<u32>) -> R<Key> {
    let s = &state.store;
    let (known, danger) = s.stats_known_and_danger(f).await?;
    let follow_ups = s.stats_follow_ups(f).await?;
    let parquet_row = follow_ups
        .iter()
        .find(|r| r.kind == FollowUpKind::Parquet)
        .map_or([0; 3], |r| [r.done, r.not_done, r.pending]);
    Ok(Key {
        dossiers: count_of(&s.stats_count(f, Measure::Dossiers, &[]).await?),
        children: count_of(&s.stats_count(f, Measure::Enfants, &[]).await?),
        known,
        danger,
        parquet_row,
        follow_ups,
        delays: s.stats_delays(f).await?.delays(under_two),
    })
}

fn labels(items: &[(&str, &str)]) -> Vec<Label> {
    items.iter().map(|(c, l)| Label::new(*c, *l)).collect()
}

/// One headline figure: its code, its label and how it is read from a period's figures.
type Indicator<'a> = (&'a str, &'a str, &'a dyn Fn(&Key) -> Value);

/// The headline figures of the period, the previous one and the same a year before.
fn key_table(periods: &[(Period, Key)], detail: bool) -> Table {
    let small = |n: u64| (1..=4).contains(&n);
    let share = |k: &Key| {
        // The share and the total returned would give back a hidden « within » or « late ».
        if !detail && (small(k.delays.within) || small(k.delays.late)) {
            Value::Suppressed
        } else {
            k.delays.share_within().map_or(Value::Empty, Value::Percent)
        }
    };
    let median = |k: &Key| {
        let n = k.delays.series.get(2).map_or(0, |(_, v)| v.len());
        if !detail && (1..=4).contains(&n) {
            Value::Suppressed
        } else {
            k.delays
                .median_conclusion()
                .map_or(Value::Empty, Value::Days)
        }
    };
    // The two parts of the dossiers: when one is hidden, so is the other (the total would
    // give it back).
    let split = |k: &Key, v: u64| {
        let first = k.dossiers - k.known.min(k.dossiers);
        if !detail && ((1..=4).contains(&first) || (1..=4).contains(&k.known)) {
            Value::Suppressed
        } else {
            Value::Count(v)
        }
    };
    let rows: [Indicator<'_>; 8] = [
        ("dossiers", "IP reçues (dossiers)", &|k| {
            Value::Count(k.dossiers)
        }),
        ("enfants", "Enfants concernés", &|k| {
            Value::Count(k.children)
        }),
        (
            "premiere_ip",
            "Dont première IP (aucun enfant déjà connu)",
            &|k| split(k, k.dossiers - k.known.min(k.dossiers)),
        ),
        ("deja_connus", "Dont un enfant déjà connu", &|k| {
            split(k, k.known)
        }),
        ("danger_grave", "Danger grave et immédiat", &|k| {
            Value::Count(k.danger)
        }),
        ("parquet", "Transmissions au parquet", &|k| {
            // « Suites » may hide this count to protect its row's small counts.
            if !detail && k.parquet_row.iter().any(|n| small(*n)) {
                Value::Suppressed
            } else {
                Value::Count(k.parquet_row[0])
            }
        }),
        (
            "delai_conclusion",
            "Délai médian réception → conclusion",
            &median,
        ),
        (
            "dans_le_delai",
            "Évaluations retournées dans le délai légal",
            &share,
        ),
    ];
    Table {
        key: "chiffres_cles".into(),
        title: "Chiffres clés".into(),
        measure: "Valeur".into(),
        rows: Axis {
            code: "indicateur".into(),
            label: "Indicateur".into(),
            items: rows.iter().map(|(c, l, _)| Label::new(*c, *l)).collect(),
        },
        columns: Axis {
            code: "periode".into(),
            label: "Période".into(),
            items: periods
                .iter()
                .enumerate()
                .map(|(i, (p, _))| {
                    let what = ["Période", "Période précédente", "Un an avant"][i.min(2)];
                    let what = if i == 1 && p.kind == vigie_domain::stats::PeriodKind::Annee {
                        "Année précédente"
                    } else {
                        what
                    };
                    Label::new(format!("p{i}"), format!("{what} ({})", p.label()))
                })
                .collect(),
        },
        cells: rows
            .iter()
            .map(|(_, _, f)| periods.iter().map(|(_, k)| f(k)).collect())
            .collect(),
        row_totals: None,
        column_totals: None,
        total: None,
        chart: ChartKind::None,
        note: None,
    }
}

fn follow_ups_table(rows: &[vigie_store::stats::FollowUpRow]) -> Table {
    let cols = labels(&[
        ("faites", "Faites"),
        ("non_faites", "Non faites (motif noté)"),
        ("en_attente", "En attente"),
    ]);
    Table {
        key: "suites".into(),
        title: "Suites données".into(),
        measure: "Dossiers".into(),
        rows: Axis {
            code: "suite".into(),
            label: "Suite".into(),
            items: rows
                .iter()
                .map(|r| Label::new(r.kind.code(), r.kind.label()))
                .collect(),
        },
        columns: Axis {
            code: "etat".into(),
            label: "État".into(),
            items: cols,
        },
        cells: rows
            .iter()
            .map(|r| {
                vec![
                    Value::Count(r.done),
                    Value::Count(r.not_done),
                    Value::Count(r.pending),
                ]
            })
            .collect(),
        row_totals: Some(
            rows.iter()
                .map(|r| Value::Count(r.done + r.not_done + r.pending))
                .collect(),
        ),
        column_totals: Some(vec![
            Value::Count(rows.iter().map(|r| r.done).sum()),
            Value::Count(rows.iter().map(|r| r.not_done).sum()),
            Value::Count(rows.iter().map(|r| r.pending).sum()),
        ]),
        total: Some(Value::Count(
            rows.iter().map(|r| r.done + r.not_done + r.pending).sum(),
        )),
        chart: ChartKind::Bars,
        note: Some("Suites prévues pour les dossiers reçus sur la période.".into()),
    }
}

async fn overdue_table(
    state: &AppState,
    cat: &Catalog,
    viewer: &Viewer,
    r: &Resolved,
    today: NaiveDate,
) -> R<Table> {
    let rows = state
        .store
        .stats_overdue(&viewer.scope, r.territory_id, r.type_id, today)
        .await?;
    let items: Vec<Label> = cat
        .services
        .iter()
        .filter(|s| rows.iter().any(|o| o.service_id == s.id))
        .map(|s| Label::new(s.id.to_string(), s.label.clone()))
        .collect();
    let count = |code: &str| {
        rows.iter()
            .find(|o| o.service_id.to_string() == code)
            .map_or(0, |o| o.count)
    };
    Ok(Table {
        key: "retards".into(),
        title: "Évaluations en retard aujourd'hui, par service".into(),
        measure: "Évaluations".into(),
        cells: items.iter().map(|l| vec![Value::Count(count(&l.code))]).collect(),
        rows: Axis {
            code: "service".into(),
            label: "Service évaluateur".into(),
            items,
        },
        columns: Axis {
            code: "mesure".into(),
            label: "Mesure".into(),
            items: labels(&[("evaluations", "Évaluations en retard")]),
        },
        row_totals: None,
        column_totals: Some(vec![Value::Count(rows.iter().map(|o| o.count).sum())]),
        total: None,
        chart: ChartKind::Bars,
        note: Some("Demandées, ni retournées ni annulées, dont l'échéance est passée — quelle que soit la période choisie.".into()),
    })
}

/// Dossiers and children along one dimension (months of the period, territories).
async fn activity(
    state: &AppState,
    cat: &Catalog,
    f: &StatsFilter,
    months: &[Bucket],
    (key, title, dim): (&str, &str, Dimension),
) -> R<Table> {
    let mut counts = Vec::new();
    for m in [Measure::Dossiers, Measure::Enfants] {
        let n = state.store.stats_count(f, m, &[group(dim, months)]).await?;
        let total = count_of(&n);
        counts.push((m, n, total));
    }
    let columns: Vec<(Measure, &build::Counts, u64)> =
        counts.iter().map(|(m, n, t)| (*m, n, *t)).collect();
    Ok(build::measures_table(
        key, title, dim, cat, months, &columns,
    ))
}

/// The breakdowns of the period: source, channel, type, children, motifs, results.
async fn breakdowns(
    state: &AppState,
    cat: &Catalog,
    f: &StatsFilter,
    months: &[Bucket],
    aggregates_only: bool,
) -> R<Vec<Table>> {
    let specs: [(&str, &str, Measure, Dimension, Option<Dimension>); 7] = [
        (
            "ip_par_categorie",
            "IP par catégorie de signalant",
            Measure::Dossiers,
            Dimension::CategorieSignalant,
            None,
        ),
        (
            "ip_par_support",
            "IP par support de réception",
            Measure::Dossiers,
            Dimension::Support,
            None,
        ),
        (
            "ip_par_type",
            "Dossiers par type",
            Measure::Dossiers,
            Dimension::Type,
            None,
        ),
        (
            "enfants_age_sexe",
            "Enfants par âge et sexe",
            Measure::Enfants,
            Dimension::TrancheAge,
            Some(Dimension::Sexe),
        ),
        (
            "motifs",
            "Enfants par motif",
            Measure::Enfants,
            Dimension::Motif,
            None,
        ),
        (
            "resultats",
            "Résultats des évaluations (enfants)",
            Measure::Enfants,
            Dimension::ResultatEvaluation,
            None,
        ),
        (
            "conclusions",
            "Conclusions (enfants)",
            Measure::Enfants,
            Dimension::Conclusion,
            None,
        ),
    ];
    let mut tables = Vec::new();
    for (key, title, measure, rows, columns) in specs {
        let spec = Spec {
            key,
            title: title.to_owned(),
            measure,
            rows,
            columns,
        };
        tables.push(cross_table(state, cat, f, &spec, months, aggregates_only).await?);
    }
    Ok(tables)
}

/// Every table of the dashboard, in the page's order.
pub async fn dashboard(
    state: &AppState,
    viewer: &Viewer,
    r: &Resolved,
    today: NaiveDate,
) -> R<Vec<Table>> {
    let cat = state.store.catalog().await?;
    let under_two = state.store.under_two_months().await?;
    let p = r.period;
    let mut keys = Vec::new();
    // A year's previous period is the year before: compared once.
    let mut compared = vec![p, p.previous()];
    if p.year_before() != p.previous() {
        compared.push(p.year_before());
    }
    for q in compared {
        let k = key_of(state, &r.filter(state, viewer, &q), under_two).await?;
        keys.push((q, k));
    }
    let f = r.filter(state, viewer, &p);
    let months = p.buckets(Dimension::Mois, &state.config.timezone);
    let mut tables = vec![
        key_table(&keys, viewer.detail),
        activity(
            state,
            &cat,
            &f,
            &months,
            ("ip_par_mois", "IP reçues par mois", Dimension::Mois),
        )
        .await?,
        activity(
            state,
            &cat,
            &f,
            &months,
            (
                "ip_par_territoire",
                "IP reçues par territoire",
                Dimension::Territoire,
            ),
        )
        .await?,
    ];
    tables.extend(breakdowns(state, &cat, &f, &months, !viewer.detail).await?);
    if let Some((_, k)) = keys.first() {
        tables.push(k.delays.table(!viewer.detail));
        tables.push(k.delays.deadline_table());
    }
    tables.push(overdue_table(state, &cat, viewer, r, today).await?);
    if let Some((_, k)) = keys.first() {
        tables.push(follow_ups_table(&k.follow_ups));
    }
    if !viewer.detail {
        for t in &mut tables {
            suppress(t);
        }
    }
    let pops = state.store.territory_populations().await?;
    let rates = tables
        .iter()
        .find(|t| t.key == "ip_par_territoire")
        .filter(|_| !pops.is_empty())
        .map(|t| rates_table(t, &pops));
    if let Some(t) = rates {
        let at = tables
            .iter()
            .position(|t| t.key == "ip_par_territoire")
            .unwrap_or(0)
            + 1;
        tables.insert(at, t);
    }
    Ok(tables)
}

/// IP per 1,000 minors by territory, from the (possibly suppressed) counts by territory: a
/// hidden count gives a hidden rate (the rate and the population would give it back).
fn rates_table(by_territory: &Table, pops: &[vigie_store::stats::Population]) -> Table {
    let pop = |code: &str| pops.iter().find(|p| p.territory_id.to_string() == code);
    let rate = |v: &Value, minors: i64| match v {
        Value::Count(n) if minors > 0 => Value::Rate(*n as f64 * 1000.0 / minors as f64),
        Value::Suppressed => Value::Suppressed,
        _ => Value::Empty,
    };
    let cells = by_territory
        .rows
        .items
        .iter()
        .zip(&by_territory.cells)
        .map(|(l, row)| {
            let v = row.first().copied().unwrap_or(Value::Empty);
            vec![pop(&l.code).map_or(Value::Empty, |p| rate(&v, p.minors))]
        })
        .collect();
    let all_known = by_territory
        .rows
        .items
        .iter()
        .all(|l| pop(&l.code).is_some());
    let total_minors: i64 = pops.iter().map(|p| p.minors).sum();
    let total = by_territory
        .column_totals
        .as_ref()
        .and_then(|t| t.first())
        .filter(|_| all_known)
        .map_or(Value::Empty, |v| rate(v, total_minors));
    let mut years: Vec<i64> = pops.iter().map(|p| p.insee_year).collect();
    years.sort_unstable();
    years.dedup();
    let years: Vec<String> = years.iter().map(ToString::to_string).collect();
    Table {
        key: "taux_par_territoire".into(),
        title: "IP pour 1 000 mineurs, par territoire".into(),
        measure: "IP pour 1 000 mineurs".into(),
        rows: by_territory.rows.clone(),
        columns: Axis {
            code: "mesure".into(),
            label: "Mesure".into(),
            items: labels(&[("taux", "IP pour 1 000 mineurs")]),
        },
        cells,
        row_totals: None,
        column_totals: Some(vec![total]),
        total: None,
        chart: ChartKind::Bars,
        note: Some(format!(
            "Dossiers reçus sur la période pour 1 000 habitants de 0 à 17 ans (INSEE {}), réglés dans Administration → Paramètres.",
            years.join(", ")
        )),
    }
}
