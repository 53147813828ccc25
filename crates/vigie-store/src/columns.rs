//! Column lists written by more than one module: the dossier table's header columns
//! (inserted by [`crate::bulk`], updated by [`crate::edit`]) and the `addr_*` columns of an
//! address, each with the values that go in them, in the same order.

use chrono::SubsecRound;
use sea_orm::Value;
use vigie_domain::{Address, Header};

use crate::vals;

/// The dossier table's header columns, in the order of [`header_vals`].
pub(crate) const HEADER_COLUMNS: [&str; 12] = [
    "received_at",
    "type_id",
    "danger_grave",
    "violence_conjugale",
    "sip",
    "receiving_agent_id",
    "channel_id",
    "snated_number",
    "territory_id",
    "status",
    "expose",
    "observation",
];

/// The values of [`HEADER_COLUMNS`] for a header (reception time to the second).
pub(crate) fn header_vals(h: &Header) -> Vec<Value> {
    vals![
        h.received_at.trunc_subsecs(0),
        h.type_id,
        h.danger_grave,
        h.violence_conjugale,
        h.sip,
        h.receiving_agent_id,
        h.channel_id,
        h.snated_number.clone(),
        h.territory_id,
        h.status.code(),
        h.expose.clone(),
        h.observation.clone()
    ]
}

/// `received_at = $1, type_id = $2, …`: the header columns set from the first
/// placeholders, for an `UPDATE` whose values begin with [`header_vals`].
pub(crate) fn header_set_list() -> String {
    HEADER_COLUMNS
        .iter()
        .zip(1..)
        .map(|(c, n)| format!("{c} = ${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of an address, in the order of the tables' `addr_*` columns.
pub(crate) fn addr_vals(a: &Address) -> Vec<Value> {
    vals![
        a.number.clone(),
        a.street.clone(),
        a.complement.clone(),
        a.postal_code.clone(),
        a.commune_insee.clone(),
        a.city.clone()
    ]
}
