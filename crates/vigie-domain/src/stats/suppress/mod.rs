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
mod tests;
