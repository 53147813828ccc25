//! Small-count suppression: what an aggregates-only reader (« lecteur statistiques »)
//! may see of a table.
//!
//! **What it protects.** A count from 1 to 4 in a child-protection table can point at one
//! family: « 2 informations préoccupantes for children under 3 in this territory, this
//! month ». Such counts are never shown to that reader; they read « < 5 ».
//!
//! **Primary rule.** Every count from 1 to 4 — in a cell, a row total, a column total or
//! the grand total — becomes [`Value::Suppressed`]. Zero stays shown (an empty group
//! points at nobody). Values that are not counts (delays, shares, rates, empty cells) are
//! left as they are.
//!
//! **Secondary rule.** Hiding a value is useless if it can be recomputed by subtraction
//! from the rest of the same table. A table's additive equations are:
//!
//! - each row's cells add up to its row total (when the table has row totals);
//! - each column's cells add up to its column total (when it has column totals);
//! - the column totals add up to the grand total, and so do the row totals (when the table
//!   has that margin and a grand total);
//! - with both margins and no grand total, the row totals and the column totals add up to
//!   the same number (a reader can sum either side), so they form one equation;
//! - with a grand total and neither margin, all the cells add up to the grand total.
//!
//! A margin the table does not have gives no equation in its direction. In every equation
//! the number of hidden members (its terms and its sum) must be 0 or at least 2: one
//! unknown in an equation is the difference of the others. When exactly one is hidden,
//! one more member of that equation is hidden: the shown count term with the smallest
//! value above zero, as it carries the least information; failing that the first zero
//! term; failing that the equation's sum. Ties go to the first in row-major order. Each
//! extra suppression may leave another equation with a single hidden member, so the rule
//! is applied again until nothing changes (it stops: hidden values only grow).
//!
//! **Audit.** The rule above looks at each equation on its own, which is not enough:
//!
//! - bounds give values away: two « < 5 » in a row totalling 8 are two 4s, two « < 5 »
//!   next to a 9 in a row totalling 11 are two 1s, hidden cells in a row whose shown
//!   total is 0 are zeros;
//! - equations combine: two blocks of hidden cells joined by one hidden cell satisfy the
//!   rule in every row and column, yet the sum of some row totals minus the sum of some
//!   column totals gives the joining cell back.
//!
//! So, for a table of counts whose shown margins are the sums of its cells, every hidden
//! value is then checked: can it differ between two tables that show the same values and
//! add up, when a hidden small count is anything from 1 to 4 and any other hidden value
//! anything from 0? (This grants the reader more than the page says: which hidden values
//! are small counts.) The check is exact and fast (a search for a cycle in a graph whose
//! nodes are the rows and columns). While some hidden value is pinned, one more value is
//! hidden on its row or column: the smallest positive count, cells before margins, zeros
//! last; then the rule of each equation is applied again. This stops (hidden values only
//! grow); it leaves a pinned value only when the table has nothing shown left (four 1s
//! adding up to a total of 4, say).
//!
//! The result is deterministic. Values that are not counts take no part: the equations
//! skip them, and a table holding some is not audited.
//!
//! **Out of scope.** Everything here looks at one table at a time. Two *different* tables
//! over overlapping groups (the same dossiers by month and by territory, or this month's
//! table and the year-to-date one) can still be compared to recompute a hidden value;
//! keeping the tables a reader sees from differing by a small count is not this
//! function's job.

use super::table::{Table, Value};

/// The largest count that is hidden for itself.
pub const SMALL_COUNT_MAX: u64 = 4;

/// Applies small-count suppression to `table`, in place: hides every count from 1 to
/// [`SMALL_COUNT_MAX`], then whatever values would let a hidden one be recomputed from
/// the rest of the table (see the [module documentation](self)).
pub fn suppress(table: &mut Table) {
    let grid = Grid::of(table);
    primary(table);
    let equations = equations(table);
    secondary(table, &equations);
    if let Some(grid) = grid {
        unpin(table, &grid, &equations);
    }
}

/// Where a value sits in a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Cell(usize, usize),
    RowTotal(usize),
    ColumnTotal(usize),
    Total,
}

/// `terms` add up to `sum`; without a sum, the terms add up to zero once signed (used for
/// « row totals = column totals », the terms being both margins).
#[derive(Debug)]
struct Equation {
    terms: Vec<Member>,
    sum: Option<Member>,
}

impl Equation {
    fn members(&self) -> impl Iterator<Item = Member> + '_ {
        self.terms.iter().copied().chain(self.sum)
    }
}

fn value(table: &Table, member: Member) -> Option<Value> {
    match member {
        Member::Cell(r, c) => table.cells.get(r)?.get(c).copied(),
        Member::RowTotal(r) => table.row_totals.as_ref()?.get(r).copied(),
        Member::ColumnTotal(c) => table.column_totals.as_ref()?.get(c).copied(),
        Member::Total => table.total,
    }
}

fn is_hidden(table: &Table, member: Member) -> bool {
    value(table, member) == Some(Value::Suppressed)
}

fn hide(table: &mut Table, member: Member) {
    let slot = match member {
        Member::Cell(r, c) => table.cells.get_mut(r).and_then(|row| row.get_mut(c)),
        Member::RowTotal(r) => table.row_totals.as_mut().and_then(|t| t.get_mut(r)),
        Member::ColumnTotal(c) => table.column_totals.as_mut().and_then(|t| t.get_mut(c)),
        Member::Total => table.total.as_mut(),
    };
    if let Some(slot) = slot {
        *slot = Value::Suppressed;
    }
}

/// Hides every count from 1 to [`SMALL_COUNT_MAX`].
fn primary(table: &mut Table) {
    let values = table
        .cells
        .iter_mut()
        .flatten()
        .chain(table.row_totals.iter_mut().flatten())
        .chain(table.column_totals.iter_mut().flatten())
        .chain(table.total.iter_mut());
    for v in values {
        if matches!(v, Value::Count(1..=SMALL_COUNT_MAX)) {
            *v = Value::Suppressed;
        }
    }
}

/// The table's additive equations, in a fixed order: rows, columns, then the grand total.
fn equations(table: &Table) -> Vec<Equation> {
    let row_count = table.row_totals.as_ref().map_or(0, Vec::len);
    let column_count = table.column_totals.as_ref().map_or(0, Vec::len);
    let row_totals: Vec<Member> = (0..row_count).map(Member::RowTotal).collect();
    let column_totals: Vec<Member> = (0..column_count).map(Member::ColumnTotal).collect();
    let mut equations = Vec::new();
    for r in 0..row_count {
        let width = table.cells.get(r).map_or(0, Vec::len);
        equations.push(Equation {
            terms: (0..width).map(|c| Member::Cell(r, c)).collect(),
            sum: Some(Member::RowTotal(r)),
        });
    }
    for c in 0..column_count {
        let terms = (0..table.cells.len())
            .filter(|&r| table.cells.get(r).is_some_and(|row| c < row.len()))
            .map(|r| Member::Cell(r, c))
            .collect();
        equations.push(Equation {
            terms,
            sum: Some(Member::ColumnTotal(c)),
        });
    }
    let has_rows = table.row_totals.is_some();
    let has_columns = table.column_totals.is_some();
    match (table.total.is_some(), has_rows, has_columns) {
        (true, false, false) => equations.push(Equation {
            terms: (0..table.cells.len())
                .flat_map(|r| {
                    let width = table.cells.get(r).map_or(0, Vec::len);
                    (0..width).map(move |c| Member::Cell(r, c))
                })
                .collect(),
            sum: Some(Member::Total),
        }),
        (true, _, _) => {
            for terms in [column_totals, row_totals] {
                if !terms.is_empty() {
                    equations.push(Equation {
                        terms,
                        sum: Some(Member::Total),
                    });
                }
            }
        }
        (false, true, true) => equations.push(Equation {
            terms: row_totals.into_iter().chain(column_totals).collect(),
            sum: None,
        }),
        (false, _, _) => {}
    }
    equations
}

/// Hides one more member of every equation with a single hidden member, until none is
/// left.
fn secondary(table: &mut Table, equations: &[Equation]) {
    loop {
        let mut changed = false;
        for equation in equations {
            let hidden = equation.members().filter(|&m| is_hidden(table, m)).count();
            if hidden == 1
                && let Some(member) = cheapest(table, equation)
            {
                hide(table, member);
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// The member of `equation` whose hiding costs the least: the smallest shown count term
/// above zero, else the first zero term, else the sum if it is a shown count.
fn cheapest(table: &Table, equation: &Equation) -> Option<Member> {
    let shown_counts = || {
        equation
            .terms
            .iter()
            .filter_map(|&m| match value(table, m) {
                Some(Value::Count(n)) => Some((n, m)),
                _ => None,
            })
    };
    // `min_by_key` keeps the first of equal minima: ties go to the lowest index.
    let smallest_positive = shown_counts()
        .filter(|&(n, _)| n > 0)
        .min_by_key(|&(n, _)| n)
        .map(|(_, m)| m);
    let first_zero = || shown_counts().find(|&(n, _)| n == 0).map(|(_, m)| m);
    let sum = || {
        equation
            .sum
            .filter(|&m| matches!(value(table, m), Some(Value::Count(_))))
    };
    smallest_positive.or_else(first_zero).or_else(sum)
}

/// The whole table as one `(height + 1) × (width + 1)` grid of true counts, whether it
/// shows its margins or not: row totals in the last column, column totals in the last
/// row, the grand total in the corner. Every line of the grid adds up (the last entry of
/// a line is the sum of the others).
#[derive(Debug)]
struct Grid {
    height: usize,
    width: usize,
    truth: Vec<u64>,
}

impl Grid {
    /// The grid of a rectangular table of counts whose shown margins are the true sums;
    /// `None` for anything else (the audit below then does not apply).
    fn of(table: &Table) -> Option<Self> {
        let height = table.cells.len();
        let width = table.cells.first().map_or(0, Vec::len);
        let wrong_length =
            |margin: &Option<Vec<Value>>, n| margin.as_ref().is_some_and(|m| m.len() != n);
        if wrong_length(&table.row_totals, height) || wrong_length(&table.column_totals, width) {
            return None;
        }
        let mut truth = vec![0u64; (height + 1) * (width + 1)];
        for (r, row) in table.cells.iter().enumerate() {
            if row.len() != width {
                return None;
            }
            for (c, v) in row.iter().enumerate() {
                let Value::Count(n) = *v else { return None };
                let at = |i: usize, j: usize| i * (width + 1) + j;
                truth[at(r, c)] = n;
                for (i, j) in [(r, width), (height, c), (height, width)] {
                    truth[at(i, j)] = truth[at(i, j)].checked_add(n)?;
                }
            }
        }
        let grid = Self {
            height,
            width,
            truth,
        };
        let margins_add_up = grid
            .entries()
            .all(|(member, n)| match value(table, member) {
                None => true,
                Some(Value::Count(shown)) => shown == n,
                Some(_) => false,
            });
        margins_add_up.then_some(grid)
    }

    fn index(&self, member: Member) -> usize {
        let (i, j) = match member {
            Member::Cell(r, c) => (r, c),
            Member::RowTotal(r) => (r, self.width),
            Member::ColumnTotal(c) => (self.height, c),
            Member::Total => (self.height, self.width),
        };
        i * (self.width + 1) + j
    }

    /// Every member with its true value, in row-major order of the grid.
    fn entries(&self) -> impl Iterator<Item = (Member, u64)> + '_ {
        let (h, w) = (self.height, self.width);
        (0..=h).flat_map(move |i| {
            (0..=w).map(move |j| {
                let member = match (i == h, j == w) {
                    (false, false) => Member::Cell(i, j),
                    (false, true) => Member::RowTotal(i),
                    (true, false) => Member::ColumnTotal(j),
                    (true, true) => Member::Total,
                };
                (member, self.truth[i * (w + 1) + j])
            })
        })
    }
}

/// One way a value the reader does not see can change by one while every line of the
/// grid still adds up: an arc from line `from` to line `to` of the grid (rows are
/// `0..=height`, columns follow), carried by the grid entry `entry`.
#[derive(Debug, Clone, Copy)]
struct Step {
    from: usize,
    to: usize,
    entry: usize,
}

/// The steps of the values the reader does not see: hidden ones, and absent margins.
///
/// Count the margins negatively (the grand total positively): every line of the grid then
/// adds up to zero, so two completions of the published table differ by a sum of
/// cycles that alternate +1 and −1 between row lines and column lines. An entry that may
/// take +1 (on that signed scale) within its bounds gives a step row → column, one that
/// may take −1 a step column → row. The bounds are the most a reader could know: a hidden
/// small count is 1 to 4, any other value (a hidden larger count or zero, an absent
/// margin) is at least 0.
fn steps(table: &Table, grid: &Grid) -> Vec<Step> {
    let mut steps = Vec::new();
    for (entry, (member, n)) in grid.entries().enumerate() {
        let hidden = match value(table, member) {
            Some(Value::Suppressed) => true,
            None => false,
            Some(_) => continue,
        };
        let (lo, hi) = if hidden && (1..=SMALL_COUNT_MAX).contains(&n) {
            (1, SMALL_COUNT_MAX)
        } else {
            (0, u64::MAX)
        };
        let (up, down) = match member {
            Member::RowTotal(_) | Member::ColumnTotal(_) => (n > lo, n < hi),
            Member::Cell(..) | Member::Total => (n < hi, n > lo),
        };
        let row = entry / (grid.width + 1);
        let column = grid.height + 1 + entry % (grid.width + 1);
        if up {
            steps.push(Step {
                from: row,
                to: column,
                entry,
            });
        }
        if down {
            steps.push(Step {
                from: column,
                to: row,
                entry,
            });
        }
    }
    steps
}

/// Whether line `to` can be reached from line `from` without the steps of entry `skip`.
fn reaches(next: &[Vec<(usize, usize)>], from: usize, to: usize, skip: usize) -> bool {
    let mut seen = vec![false; next.len()];
    let mut stack = vec![from];
    while let Some(line) = stack.pop() {
        if line == to {
            return true;
        }
        if std::mem::replace(&mut seen[line], true) {
            continue;
        }
        for &(after, entry) in next.get(line).into_iter().flatten() {
            if entry != skip && !seen[after] {
                stack.push(after);
            }
        }
    }
    false
}

/// The hidden members whose value is the same in every completion of the published
/// table (no cycle of steps goes through them), in row-major order of the grid.
///
/// This is exact: a hidden value can differ between two completions if and only if one
/// of its steps lies on a cycle (the difference of two completions splits into cycles
/// whose steps all go the way of the difference).
fn pinned(table: &Table, grid: &Grid) -> impl Iterator<Item = Member> + use<> {
    let steps = steps(table, grid);
    let mut next = vec![Vec::new(); grid.height + grid.width + 2];
    for step in &steps {
        next[step.from].push((step.to, step.entry));
    }
    let hidden: Vec<(usize, Member)> = grid
        .entries()
        .enumerate()
        .filter(|&(_, (member, _))| is_hidden(table, member))
        .map(|(entry, (member, _))| (entry, member))
        .collect();
    hidden.into_iter().filter_map(move |(entry, member)| {
        let free = steps
            .iter()
            .any(|s| s.entry == entry && reaches(&next, s.to, s.from, entry));
        (!free).then_some(member)
    })
}

/// The member to hide so that `pinned` may move: a shown count on its row or column line
/// (any line if those have none), positive before zero (a zero can only go up), cells
/// before margins, smallest first, then first in row-major order.
fn unpinning(table: &Table, grid: &Grid, pinned: Member) -> Option<Member> {
    let width = grid.width + 1;
    let at = grid.index(pinned);
    let shown = |&(member, n): &(Member, u64)| value(table, member) == Some(Value::Count(n));
    let cost = |&(member, n): &(Member, u64)| {
        let rank = match member {
            Member::Cell(..) => 0,
            Member::RowTotal(_) | Member::ColumnTotal(_) => 1,
            Member::Total => 2,
        };
        (n == 0, rank, n)
    };
    let on_its_lines = grid
        .entries()
        .enumerate()
        .filter(|&(entry, _)| entry / width == at / width || entry % width == at % width);
    on_its_lines
        .map(|(_, e)| e)
        .filter(shown)
        .min_by_key(cost)
        .or_else(|| grid.entries().filter(shown).min_by_key(cost))
        .map(|(member, _)| member)
}

/// Hides more values until no hidden value is pinned by the published ones (the rule of
/// each equation on its own misses values pinned by several equations together, or by
/// the bounds a reader knows: a hidden small count is 1 to 4, nothing is below 0).
fn unpin(table: &mut Table, grid: &Grid, equations: &[Equation]) {
    while let Some(pinned) = pinned(table, grid).next() {
        let Some(member) = unpinning(table, grid, pinned) else {
            return;
        };
        hide(table, member);
        secondary(table, equations);
    }
}

#[cfg(test)]
mod tests {
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
}
