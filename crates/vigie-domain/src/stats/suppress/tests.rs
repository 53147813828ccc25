//! Tests of the small-count suppression.
use super::*;
use crate::stats::{Axis, ChartKind, Label};
use proptest::prelude::*;

fn axis(code: &str, n: usize) -> Axis {
    Axis {
        code: code.to_owned(),
        label: code.to_owned(),
        items: (0..n)
            .map(|i| Label::new(i.to_string(), i.to_string()))
            .collect(),
    }
}

/// A table of counts whose margins (those asked for) are the true sums.
fn counts(cells: &[Vec<u64>], rows: bool, columns: bool, total: bool) -> Table {
    let width = cells.first().map_or(0, Vec::len);
    let row_sums: Vec<u64> = cells.iter().map(|row| row.iter().sum()).collect();
    let column_sums: Vec<u64> = (0..width)
        .map(|c| cells.iter().map(|row| row[c]).sum())
        .collect();
    let grand: u64 = row_sums.iter().sum();
    let to_values = |v: &[u64]| v.iter().map(|&n| Value::Count(n)).collect::<Vec<_>>();
    Table {
        key: "t".to_owned(),
        title: "t".to_owned(),
        measure: "Dossiers".to_owned(),
        rows: axis("r", cells.len()),
        columns: axis("c", width),
        cells: cells.iter().map(|row| to_values(row)).collect(),
        row_totals: rows.then(|| to_values(&row_sums)),
        column_totals: columns.then(|| to_values(&column_sums)),
        total: total.then_some(Value::Count(grand)),
        chart: ChartKind::None,
        note: None,
    }
}

/// One line per row (row total after `|`), then `=` and the column totals and the
/// grand total (after `|`); `x` for a hidden value.
fn render(t: &Table) -> String {
    let show = |v: &Value| match v {
        Value::Count(n) => n.to_string(),
        Value::Suppressed => "x".to_owned(),
        other => format!("{other:?}"),
    };
    let mut lines = Vec::new();
    for (r, row) in t.cells.iter().enumerate() {
        let mut line = row.iter().map(show).collect::<Vec<_>>().join(" ");
        if let Some(totals) = &t.row_totals {
            line = format!("{line} | {}", show(&totals[r]));
        }
        lines.push(line);
    }
    if t.column_totals.is_some() || t.total.is_some() {
        let mut line = "=".to_owned();
        for v in t.column_totals.iter().flatten() {
            line = format!("{line} {}", show(v));
        }
        if let Some(v) = &t.total {
            line = format!("{line} | {}", show(v));
        }
        lines.push(line);
    }
    lines.join("\n")
}

fn suppressed(cells: &[Vec<u64>], rows: bool, columns: bool, total: bool) -> String {
    let mut t = counts(cells, rows, columns, total);
    suppress(&mut t);
    render(&t)
}

#[test]
fn a_one_takes_the_smallest_cells_of_its_row_and_column() {
    let cells = [vec![1, 12, 8], vec![10, 6, 20], vec![9, 15, 7]];
    // Row 0 hides 8 (not 12), column 0 hides 9 (not 10), then column 2 is left with
    // one hidden cell and hides 7; row 2 then has two and the fixpoint is reached.
    assert_eq!(
        suppressed(&cells, true, true, true),
        "x 12 x | 21\n10 6 20 | 36\nx 15 x | 31\n= 20 33 35 | 88"
    );
}

#[test]
fn ties_go_to_the_first_cell() {
    let cells = [vec![1, 7, 7], vec![7, 7, 7]];
    assert_eq!(
        suppressed(&cells, true, false, false),
        "x x 7 | 15\n7 7 7 | 21"
    );
}

#[test]
fn a_row_total_of_three_hides_cells_and_margins() {
    let cells = [vec![0, 3, 0], vec![7, 9, 12]];
    // The 3 and its row total hide each other; column 1 then needs the 9, and the row
    // totals (which add up to the grand total) need the other row total.
    assert_eq!(
        suppressed(&cells, true, true, true),
        "0 x 0 | x\n7 x 12 | x\n= 7 12 12 | 31"
    );
    // Without column totals nor grand total, the row alone is enough.
    let cells = [vec![0, 3, 0], vec![5, 6, 7]];
    assert_eq!(
        suppressed(&cells, true, false, false),
        "0 x 0 | x\n5 6 7 | 18"
    );
}

#[test]
fn without_margins_only_small_counts_are_hidden() {
    let cells = [vec![1, 9], vec![12, 3], vec![0, 4]];
    assert_eq!(suppressed(&cells, false, false, false), "x 9\n12 x\n0 x");
}

#[test]
fn zeros_are_not_hidden_for_themselves() {
    let cells = [vec![0, 0, 6], vec![0, 8, 0]];
    assert_eq!(
        suppressed(&cells, true, true, true),
        "0 0 6 | 6\n0 8 0 | 8\n= 0 8 6 | 14"
    );
    let cells = [vec![1, 0], vec![0, 0]];
    assert_eq!(
        suppressed(&cells, true, true, true),
        "x 0 | x\n0 0 | 0\n= x 0 | x"
    );
}

#[test]
fn a_grand_total_of_four_hides_everything_that_adds_up_to_it() {
    let cells = [vec![1, 0, 2], vec![0, 0, 1]];
    assert_eq!(
        suppressed(&cells, true, true, true),
        "x 0 x | x\n0 0 x | x\n= x 0 x | x"
    );
    // Four 1s adding up to 4: all hidden, and still four 1s to a reader who knows
    // that each « < 5 » is a small count; nothing is left to hide.
    let cells = [vec![1, 1, 1, 1]];
    assert_eq!(suppressed(&cells, false, false, true), "x x x x\n= | x");
    // A grand total of 4 over a single cell: the cell and the total hide each other.
    let cells = [vec![0, 4], vec![0, 0]];
    assert_eq!(suppressed(&cells, false, false, true), "0 x\n0 0\n= | x");
}

#[test]
fn a_grand_total_without_margins_is_the_sum_of_the_cells() {
    let cells = [vec![1, 9], vec![12, 30]];
    assert_eq!(suppressed(&cells, false, false, true), "x x\n12 30\n= | 52");
}

#[test]
fn both_margins_without_grand_total_still_add_up() {
    // Σ row totals = Σ column totals: with the row total 1 hidden alone on that side,
    // 21 + 7 − 27 would give it back, so the column total 7 is hidden too.
    let cells = [vec![1, 0], vec![20, 7]];
    assert_eq!(
        suppressed(&cells, true, true, false),
        "x 0 | x\nx x | 27\n= 21 x"
    );
}

#[test]
fn a_margin_is_hidden_when_no_cell_is_left() {
    let cells = [vec![3, 10]];
    assert_eq!(suppressed(&cells, true, true, true), "x x | 13\n= x x | 13");
}

#[test]
fn values_that_are_not_counts_are_left_alone() {
    let mut t = counts(&[vec![2, 7], vec![8, 9]], true, true, true);
    t.cells[0][1] = Value::Days(12.5);
    t.cells[1][0] = Value::Empty;
    t.cells[1][1] = Value::Percent(3.0);
    suppress(&mut t);
    assert_eq!(t.cells[0][0], Value::Suppressed);
    assert_eq!(t.cells[0][1], Value::Days(12.5));
    assert_eq!(t.cells[1][0], Value::Empty);
    assert_eq!(t.cells[1][1], Value::Percent(3.0));
}

#[test]
fn ragged_and_empty_tables_do_not_panic() {
    let mut t = counts(&[vec![2, 7], vec![8, 9]], true, true, true);
    t.cells[1].pop();
    t.row_totals = Some(vec![Value::Count(3)]);
    suppress(&mut t);
    let mut t = counts(&[], true, true, true);
    suppress(&mut t);
    assert_eq!(t.total, Some(Value::Count(0)));
}

/// Only the first two steps: small counts, then the rule of each equation on its own.
fn plain_rule(t: &mut Table) {
    primary(t);
    let equations = equations(t);
    secondary(t, &equations);
}

fn pinned_by_plain_rule(cells: &[Vec<u64>], rows: bool, columns: bool) -> Vec<Member> {
    let mut t = counts(cells, rows, columns, false);
    let grid = Grid::of(&t).expect("a table of counts");
    plain_rule(&mut t);
    pinned(&t, &grid).collect()
}

#[test]
fn sums_at_the_bounds_give_small_counts_away() {
    // Two « < 5 » adding up to 8 are two 4s; two adding up to 11 − 9 are two 1s.
    let cells = [vec![4, 4]];
    assert_eq!(
        pinned_by_plain_rule(&cells, true, false),
        [Member::Cell(0, 0), Member::Cell(0, 1)]
    );
    assert_eq!(suppressed(&cells, true, false, false), "x x | x");
    let cells = [vec![1, 1, 9]];
    assert_eq!(
        pinned_by_plain_rule(&cells, true, false),
        [Member::Cell(0, 0), Member::Cell(0, 1)]
    );
    assert_eq!(suppressed(&cells, true, false, false), "x x x | 11");
}

#[test]
fn hidden_zeros_in_a_row_of_total_zero_are_zeros() {
    // The rule of each equation hides the 8, then a zero of column 1 (no positive cell
    // is left there), then the other zero of row 1; but row 1 shows a total of 0.
    let cells = [vec![1, 8], vec![0, 0]];
    let mut t = counts(&cells, true, true, false);
    plain_rule(&mut t);
    assert_eq!(render(&t), "x x | 9\nx x | 0\n= x x");
    assert_eq!(
        pinned_by_plain_rule(&cells, true, true),
        [Member::Cell(1, 0), Member::Cell(1, 1)]
    );
    assert_eq!(
        suppressed(&cells, true, true, false),
        "x x | 9\nx x | x\n= x x"
    );
}

#[test]
fn a_bridge_between_two_hidden_blocks_is_caught() {
    // Two blocks of hidden small counts joined by the 3: every row and column has two
    // hidden cells or none, yet row totals 0 and 1 minus column totals 0 and 1 give
    // the 3 back (109 − 131 − 100 + 125).
    let cells = [
        vec![1, 2, 3, 20, 30],
        vec![2, 1, 10, 25, 15],
        vec![10, 20, 4, 1, 12],
        vec![15, 10, 2, 3, 8],
        vec![30, 40, 50, 60, 70],
    ];
    let mut t = counts(&cells, true, true, true);
    let grid = Grid::of(&t).expect("a table of counts");
    plain_rule(&mut t);
    let hidden_cells = t
        .cells
        .iter()
        .flatten()
        .filter(|v| **v == Value::Suppressed);
    assert_eq!(
        hidden_cells.count(),
        9,
        "the rule adds nothing:\n{}",
        render(&t)
    );
    assert_eq!(pinned(&t, &grid).collect::<Vec<_>>(), [Member::Cell(0, 2)]);

    let mut t = counts(&cells, true, true, true);
    suppress(&mut t);
    assert_eq!(pinned(&t, &grid).count(), 0, "{}", render(&t));
    // The smallest shown count on the 3's row or column, the 10, closes a cycle.
    assert_eq!(
        render(&t),
        "x x x 20 30 | 56\n\
         x x x 25 15 | 53\n\
         10 20 x x 12 | 47\n\
         15 10 x x 8 | 38\n\
         30 40 50 60 70 | 250\n\
         = 58 73 69 109 135 | 444"
    );
}

// ---- Properties ----

/// A test-side name for a place in a table, independent of the module's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum P {
    Cell(usize, usize),
    Row(usize),
    Column(usize),
    Total,
}

#[derive(Debug, Clone)]
struct Case {
    cells: Vec<Vec<u64>>,
    rows: bool,
    columns: bool,
    total: bool,
}

impl Case {
    fn height(&self) -> usize {
        self.cells.len()
    }
    fn width(&self) -> usize {
        self.cells[0].len()
    }
    fn places(&self) -> Vec<P> {
        let mut places = Vec::new();
        for r in 0..self.height() {
            places.extend((0..self.width()).map(|c| P::Cell(r, c)));
        }
        if self.rows {
            places.extend((0..self.height()).map(P::Row));
        }
        if self.columns {
            places.extend((0..self.width()).map(P::Column));
        }
        if self.total {
            places.push(P::Total);
        }
        places
    }
    /// The true value at `p`, computed from a grid of cells.
    fn value_in(&self, grid: &[Vec<u64>], p: P) -> u64 {
        match p {
            P::Cell(r, c) => grid[r][c],
            P::Row(r) => grid[r].iter().sum(),
            P::Column(c) => grid.iter().map(|row| row[c]).sum(),
            P::Total => grid.iter().flatten().sum(),
        }
    }
    fn original(&self, p: P) -> u64 {
        self.value_in(&self.cells, p)
    }
    /// Each additive equation, as the list of its members (terms and sum alike).
    fn equations(&self) -> Vec<Vec<P>> {
        let (h, w) = (self.height(), self.width());
        let mut eqs = Vec::new();
        if self.rows {
            for r in 0..h {
                let mut eq: Vec<P> = (0..w).map(|c| P::Cell(r, c)).collect();
                eq.push(P::Row(r));
                eqs.push(eq);
            }
        }
        if self.columns {
            for c in 0..w {
                let mut eq: Vec<P> = (0..h).map(|r| P::Cell(r, c)).collect();
                eq.push(P::Column(c));
                eqs.push(eq);
            }
        }
        let row_totals = (0..h).map(P::Row);
        let column_totals = (0..w).map(P::Column);
        match (self.total, self.rows, self.columns) {
            (true, false, false) => {
                let mut eq: Vec<P> = (0..h)
                    .flat_map(|r| (0..w).map(move |c| P::Cell(r, c)))
                    .collect();
                eq.push(P::Total);
                eqs.push(eq);
            }
            (true, rows, columns) => {
                if rows {
                    eqs.push(row_totals.chain([P::Total]).collect());
                }
                if columns {
                    eqs.push(column_totals.chain([P::Total]).collect());
                }
            }
            (false, true, true) => eqs.push(row_totals.chain(column_totals).collect()),
            (false, _, _) => {}
        }
        eqs
    }
}

fn at(t: &Table, p: P) -> Value {
    match p {
        P::Cell(r, c) => t.cells[r][c],
        P::Row(r) => t.row_totals.as_ref().expect("row totals")[r],
        P::Column(c) => t.column_totals.as_ref().expect("column totals")[c],
        P::Total => t.total.expect("total"),
    }
}

fn case() -> impl Strategy<Value = Case> {
    let count = prop_oneof![2 => Just(0u64), 4 => 1u64..=4, 3 => 5u64..=30];
    (1usize..=5, 1usize..=5)
        .prop_flat_map(move |(h, w)| {
            (
                prop::collection::vec(prop::collection::vec(count.clone(), w), h),
                prop::bool::weighted(0.8),
                prop::bool::weighted(0.8),
                prop::bool::weighted(0.7),
            )
        })
        .prop_map(|(cells, rows, columns, total)| Case {
            cells,
            rows,
            columns,
            total,
        })
}

/// Brute force over the completions a reader could form of the published table:
/// every hidden cell takes a value (a hidden small count 1 to 4, any other hidden
/// cell 0 up to a bound above the table's largest count), hidden margins are the sums
/// of the cells, and every shown value must match. The reader is granted more than
/// the page tells: which hidden values are small counts.
struct Completions<'a> {
    case: &'a Case,
    published: &'a Table,
    unknown: Vec<(usize, usize, u64, u64)>,
    grid: Vec<Vec<Option<u64>>>,
    hidden: Vec<P>,
    /// Per hidden member: the first value seen, and whether another one was seen.
    seen: Vec<Option<(u64, bool)>>,
    found: usize,
}

impl<'a> Completions<'a> {
    fn new(case: &'a Case, published: &'a Table) -> Self {
        let ceiling = case.cells.iter().flatten().max().copied().unwrap_or(0) + 5;
        let mut unknown = Vec::new();
        let mut grid = Vec::new();
        for (r, row) in case.cells.iter().enumerate() {
            let mut line = Vec::new();
            for (c, &n) in row.iter().enumerate() {
                if published.cells[r][c] == Value::Suppressed {
                    let (lo, hi) = if (1..=4).contains(&n) {
                        (1, 4)
                    } else {
                        (0, ceiling)
                    };
                    unknown.push((r, c, lo, hi));
                    line.push(None);
                } else {
                    line.push(Some(n));
                }
            }
            grid.push(line);
        }
        let hidden: Vec<P> = case
            .places()
            .into_iter()
            .filter(|&p| at(published, p) == Value::Suppressed)
            .collect();
        let seen = vec![None; hidden.len()];
        Self {
            case,
            published,
            unknown,
            grid,
            hidden,
            seen,
            found: 0,
        }
    }

    /// The bounds a published (or hidden) margin puts on the sum of its cells.
    fn bounds(&self, p: P) -> (u64, u64) {
        match at(self.published, p) {
            Value::Count(n) => (n, n),
            _ if (1..=4).contains(&self.case.original(p)) => (1, 4),
            _ => (0, u64::MAX),
        }
    }

    /// Whether the cells assigned so far can still complete to a consistent table.
    fn feasible(&self) -> bool {
        let (h, w) = (self.case.height(), self.case.width());
        let mut lines: Vec<(P, Vec<(usize, usize)>)> = Vec::new();
        if self.case.rows {
            lines.extend((0..h).map(|r| (P::Row(r), (0..w).map(|c| (r, c)).collect())));
        }
        if self.case.columns {
            lines.extend((0..w).map(|c| (P::Column(c), (0..h).map(|r| (r, c)).collect())));
        }
        if self.case.total {
            let all = (0..h).flat_map(|r| (0..w).map(move |c| (r, c))).collect();
            lines.push((P::Total, all));
        }
        lines.iter().all(|(margin, cells)| {
            let (lo, hi) = self.bounds(*margin);
            let known: u64 = cells.iter().filter_map(|&(r, c)| self.grid[r][c]).sum();
            let complete = cells.iter().all(|&(r, c)| self.grid[r][c].is_some());
            known <= hi && (!complete || known >= lo)
        })
    }

    fn record(&mut self) {
        self.found += 1;
        let grid: Vec<Vec<u64>> = self
            .grid
            .iter()
            .map(|row| row.iter().map(|v| v.unwrap_or(0)).collect())
            .collect();
        for (i, &p) in self.hidden.iter().enumerate() {
            let v = self.case.value_in(&grid, p);
            self.seen[i] = match self.seen[i] {
                None => Some((v, false)),
                Some((first, varied)) => Some((first, varied || v != first)),
            };
        }
    }

    fn all_varied(&self) -> bool {
        self.seen.iter().all(|s| matches!(s, Some((_, true))))
    }

    /// Assigns the unknown cells from the `k`th on; true once every hidden member has
    /// been seen with two values (no need to look further).
    fn explore(&mut self, k: usize) -> bool {
        let Some(&(r, c, lo, hi)) = self.unknown.get(k) else {
            self.record();
            return self.all_varied();
        };
        for v in lo..=hi {
            self.grid[r][c] = Some(v);
            if self.feasible() && self.explore(k + 1) {
                return true;
            }
        }
        self.grid[r][c] = None;
        false
    }
}

fn place(member: Member) -> P {
    match member {
        Member::Cell(r, c) => P::Cell(r, c),
        Member::RowTotal(r) => P::Row(r),
        Member::ColumnTotal(c) => P::Column(c),
        Member::Total => P::Total,
    }
}

/// The hidden values of `published` that every completion shares (they can be
/// recomputed), when it has at most 4 hidden cells (`None` beyond: too long).
fn recomputable(case: &Case, published: &Table) -> Option<Vec<P>> {
    let mut completions = Completions::new(case, published);
    if completions.unknown.len() > 4 {
        return None;
    }
    completions.explore(0);
    assert!(completions.found >= 1, "the truth is a completion");
    let fixed = completions
        .hidden
        .iter()
        .zip(&completions.seen)
        .filter(|(_, seen)| !matches!(seen, Some((_, true))))
        .map(|(&p, _)| p)
        .collect();
    Some(fixed)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn suppression_protects_every_hidden_value(case in case()) {
        let mut t = counts(&case.cells, case.rows, case.columns, case.total);
        suppress(&mut t);
        let places = case.places();
        for &p in &places {
            let v = at(&t, p);
            // (a) no small count is left, (c) what is shown is what was there.
            prop_assert!(!matches!(v, Value::Count(1..=4)), "{p:?} shown: {v:?}");
            prop_assert!(
                v == Value::Suppressed || v == Value::Count(case.original(p)),
                "{p:?} changed to {v:?}"
            );
        }
        // (b) no equation has exactly one hidden member.
        for eq in case.equations() {
            let hidden = eq.iter().filter(|&&p| at(&t, p) == Value::Suppressed).count();
            prop_assert!(hidden != 1, "{eq:?}: one hidden member\n{}", render(&t));
        }
        // (d) for small enough patterns, no hidden value is determined by the rest,
        // unless nothing is left to hide (four « < 5 » cells adding up to a « < 5 »
        // total are four 1s, to a reader who knows they are small counts).
        let all_hidden = places.iter().all(|&p| at(&t, p) == Value::Suppressed);
        if let Some(recomputable) = recomputable(&case, &t) {
            prop_assert!(
                recomputable.is_empty() || all_hidden,
                "{recomputable:?} recomputable\n{}",
                render(&t)
            );
        }
    }

    /// The audit finds exactly the values the brute force finds recomputable, on the
    /// tables the rule of each equation alone leaves behind (those have some).
    #[test]
    fn the_audit_agrees_with_brute_force(case in case()) {
        let mut t = counts(&case.cells, case.rows, case.columns, case.total);
        let grid = Grid::of(&t).expect("a table of counts");
        plain_rule(&mut t);
        if let Some(recomputable) = recomputable(&case, &t) {
            let order = |p: &P| case.places().iter().position(|q| q == p);
            let mut audit: Vec<P> = pinned(&t, &grid).map(place).collect();
            audit.sort_by_key(order);
            let mut expected = recomputable;
            expected.sort_by_key(order);
            prop_assert_eq!(audit, expected, "\n{}", render(&t));
        }
    }
}
