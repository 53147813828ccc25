//! Fingerprints of the form's parts (header, each child, each assignment): a save only
//! touches the parts whose fingerprint differs from the one rendered.

use sha2::{Digest, Sha256};

use super::*;

impl AddressForm {
    fn fp(&self, out: &mut Vec<String>) {
        for s in [
            &self.number,
            &self.street,
            &self.complement,
            &self.postal_code,
            &self.commune_insee,
            &self.city,
        ] {
            out.push(norm(s));
        }
    }
}

fn flag(b: bool) -> String {
    if b { "1" } else { "" }.to_owned()
}

/// A value as compared for the fingerprint: line ends and surrounding spaces do not count.
fn norm(s: &str) -> String {
    s.replace("\r\n", "\n").trim().to_owned()
}

/// A date, or the string itself when it is not one (ISO and French forms compare equal).
fn norm_date(s: &str) -> String {
    parse_date(s).map_or_else(|| norm(s), |d| d.to_string())
}

fn norm_datetime(s: &str) -> String {
    parse_local_datetime(s).map_or_else(|| norm(s), |d| d.to_string())
}

fn fingerprint(values: &[String]) -> String {
    let json = serde_json::to_string(values).unwrap_or_default();
    let digest = Sha256::digest(json.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl DossierForm {
    /// The identity of adult `i` for fingerprints: its stored id, or its place when new.
    fn adult_key(&self, i: &str) -> String {
        match i
            .trim()
            .parse::<usize>()
            .ok()
            .and_then(|i| self.adults.get(i))
        {
            Some(a) if !a.id.trim().is_empty() => format!("a{}", a.id.trim()),
            Some(_) => format!("n{}", i.trim()),
            None => norm(i),
        }
    }

    /// Fingerprint of the header part: header, source, parents, exposé, observation, follow-ups.
    pub fn header_fingerprint(&self) -> String {
        let mut v = vec![
            norm_datetime(&self.received_at),
            norm(&self.type_id),
            flag(self.sip),
            flag(self.danger_grave),
            flag(self.violence_conjugale),
            norm(&self.receiving_agent_id),
            norm(&self.channel_id),
            norm(&self.snated_number),
            norm(&self.territory_id),
            norm(&self.status),
            norm(&self.direct),
            norm(&self.status_reason),
            norm(&self.expose),
            norm(&self.observation),
        ];
        let s = &self.source;
        for x in [
            &s.category_id,
            &s.confidentiality,
            &s.name,
            &s.organisation,
            &s.email,
            &s.phone,
        ] {
            v.push(norm(x));
        }
        s.address.fp(&mut v);
        v.push(format!("adults:{}", self.adults.len()));
        for a in &self.adults {
            for x in [
                &a.id,
                &a.civility_id,
                &a.birth_name,
                &a.usage_name,
                &a.first_names,
                &a.phone,
                &a.email,
            ] {
                v.push(norm(x));
            }
            a.address.fp(&mut v);
        }
        for f in &self.follow_ups {
            v.push(f.kind.code().into());
            v.push(norm_datetime(&f.done_at));
            v.push(norm_date(&f.due_on));
            v.push(norm(&f.not_done_reason));
        }
        fingerprint(&v)
    }

    /// Fingerprint of child `i`: everything of that child, its links and authors by the
    /// adults' identity (adding a parent does not change a child).
    pub fn child_fingerprint(&self, i: usize) -> String {
        let Some(c) = self.children.get(i) else {
            return String::new();
        };
        let mut v = vec![
            norm(&c.person_id),
            norm(&c.sex),
            norm(&c.birth_name),
            norm(&c.usage_name),
            norm(&c.first_names),
            norm(&c.birth_precision),
            norm_date(&c.birth_date),
            norm(&c.csp_father_id),
            norm(&c.csp_mother_id),
            norm(&c.lieu_de_vie_id),
            norm(&c.comment),
            norm(&c.evaluation_result_id),
            norm(&c.conclusion),
            norm_date(&c.conclusion_on),
            norm(&c.conclusion_comment),
        ];
        c.address.fp(&mut v);
        let mut links: Vec<String> = c
            .adults
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.link_id.trim().is_empty() || l.parental_authority)
            .map(|(k, l)| {
                format!(
                    "{}={}/{}",
                    self.adult_key(&k.to_string()),
                    norm(&l.link_id),
                    flag(l.parental_authority)
                )
            })
            .collect();
        links.sort();
        v.push(format!("links:{}", links.join(";")));
        for a in c.authors.iter().filter(|a| !a.is_blank()) {
            let who = if a.adult.trim().is_empty() {
                String::new()
            } else {
                self.adult_key(&a.adult)
            };
            v.push(format!(
                "author:{who}|{}|{}",
                norm(&a.third_party_name),
                norm(&a.link_id)
            ));
        }
        let mut motifs: Vec<String> = c.motifs.iter().map(|m| norm(m)).collect();
        motifs.sort();
        motifs.dedup();
        v.push(format!("motifs:{}", motifs.join(",")));
        fingerprint(&v)
    }
}

/// Fingerprint of an assignment.
pub fn assignment_fingerprint(a: &AssignmentForm) -> String {
    fingerprint(&[
        norm(&a.service_id),
        norm_date(&a.asked_on),
        norm_date(&a.due_on),
        a.evaluator_names().join("\n"),
        norm_date(&a.returned_on),
        norm(&a.result_id),
        flag(a.cancelled),
        norm(&a.comment),
    ])
}
