//! Children as persons across dossiers: their identity as read from a row. Their search
//! keys are in [`crate::name_keys`], the search in [`crate::search`].

use chrono::Datelike;
use vigie_domain::{BirthDate, Person, Sex};

use crate::Result;
use crate::sql::get;

pub(crate) fn birth_year(b: BirthDate) -> Option<i64> {
    match b {
        BirthDate::Exact(d) | BirthDate::Approximate(d) | BirthDate::Expected(d) => {
            Some(i64::from(d.year()))
        }
        BirthDate::Unknown => None,
    }
}

/// A person's birth date from its `birth_precision` and `birth_date` columns.
pub(crate) fn birth_from(r: &sea_orm::QueryResult) -> Result<BirthDate> {
    let precision: String = get(r, "birth_precision")?;
    Ok(BirthDate::from_parts(&precision, get(r, "birth_date")?).unwrap_or(BirthDate::Unknown))
}

pub(crate) fn person_from(r: &sea_orm::QueryResult) -> Result<Person> {
    let sex: String = get(r, "sex")?;
    Ok(Person {
        birth_name: get(r, "birth_name")?,
        usage_name: get(r, "usage_name")?,
        first_names: get(r, "first_names")?,
        sex: Sex::parse(&sex).unwrap_or(Sex::Unknown),
        birth: birth_from(r)?,
    })
}
