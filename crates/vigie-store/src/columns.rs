//! Column lists written by more than one module: the dossier table's header columns
//! (inserted by [`crate::bulk`], updated by [`crate::edit`]), the `addr_*` columns of an
//! address and the data columns of the source, an adult, a person, a child and an
//! assignment, each with the values that go in them, in the same order.

use chrono::SubsecRound;
use sea_orm::Value;
use vigie_domain::{Address, Adult, AssignmentInput, ChildInput, FollowUp, Header, Person, Source};

use crate::persons::birth_year;

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

/// `dossier_source`: `category_id, confidentiality, name, organisation, addr_*, email, phone`.
pub(crate) fn source_vals(s: &Source) -> Vec<Value> {
    let mut v = vals![
        s.category_id,
        s.confidentiality.code(),
        s.name.clone(),
        s.organisation.clone()
    ];
    v.extend(addr_vals(&s.address));
    v.extend(vals![s.email.clone(), s.phone.clone()]);
    v
}

/// `adult`: `civility_id, birth_name, usage_name, first_names, addr_*, phone, email`.
pub(crate) fn adult_vals(a: &Adult) -> Vec<Value> {
    let mut v = vals![
        a.civility_id,
        a.birth_name.clone(),
        a.usage_name.clone(),
        a.first_names.clone()
    ];
    v.extend(addr_vals(&a.address));
    v.extend(vals![a.phone.clone(), a.email.clone()]);
    v
}

/// `person`: `birth_name, usage_name, first_names, sex, birth_precision, birth_date,
/// birth_year`.
pub(crate) fn person_vals(p: &Person) -> Vec<Value> {
    let (precision, date) = p.birth.to_parts();
    vals![
        p.birth_name.clone(),
        p.usage_name.clone(),
        p.first_names.clone(),
        p.sex.code(),
        precision,
        date,
        birth_year(p.birth)
    ]
}

/// `dossier_child`: `addr_*, csp_father_id, csp_mother_id, lieu_de_vie_id, comment,
/// evaluation_result_id, conclusion_id, conclusion_on, conclusion_comment`.
pub(crate) fn child_vals(c: &ChildInput) -> Vec<Value> {
    let conc = c.conclusion.as_ref();
    let mut v = addr_vals(&c.address);
    v.extend(vals![
        c.csp_father_id,
        c.csp_mother_id,
        c.lieu_de_vie_id,
        c.comment.clone(),
        c.evaluation_result_id,
        conc.map(|x| x.conclusion_id),
        conc.map(|x| x.on),
        conc.and_then(|x| x.comment.clone()),
    ]);
    v
}

/// `assignment`: `service_id, asked_on, due_on, returned_on, result_id, cancelled, comment`.
pub(crate) fn assignment_vals(a: &AssignmentInput) -> Vec<Value> {
    vals![
        a.service_id,
        a.asked_on,
        a.due_on,
        a.returned_on,
        a.result_id,
        a.cancelled,
        a.comment.clone()
    ]
}

/// `follow_up`: `dossier_id, kind, done_at, not_done_reason, due_on` (done to the second).
pub(crate) fn follow_up_vals(dossier_id: i64, f: &FollowUp) -> Vec<Value> {
    vals![
        dossier_id,
        f.kind.code(),
        f.done_at.map(|t| t.trunc_subsecs(0)),
        f.not_done_reason.clone(),
        f.due_on
    ]
}
