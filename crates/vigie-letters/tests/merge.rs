//! The merge engine on DOCX and ODT built in memory: snapshots of the produced XML for a field,
//! a loop over table rows, a condition, a split tag, escaping and the logo; and the errors an
//! author meets, in French, naming the tag and its paragraph.

mod common;

use common::{docx, docx_body, odt, odt_body, part, png_4x2};
use serde_json::json;
use vigie_letters::{Format, Image, LetterError, Template, document_text};

fn p(text: &str) -> String {
    format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
}

fn data() -> serde_json::Value {
    json!({
        "aujourdhui": "2026-12-02",
        "dossier": { "numero": "2026-00042", "danger_grave": false },
        "enfants": [
            { "prenom": "Léa", "nom": "MARTIN", "naissance": "2018-03-01" },
            { "prenom": "Tom", "nom": "MARTIN", "naissance": "2021-11-20" },
            { "prenom": "Noé", "nom": "MARTIN", "naissance": "2025-06-10" }
        ],
        "parent": { "nom": "Dupont & Fils <SARL>", "adresse": "3 rue des Lilas\n18000 Bourges" }
    })
}

fn fill(template: &[u8]) -> Vec<u8> {
    Template::parse(template)
        .unwrap()
        .render(&data(), &[])
        .unwrap()
}

#[test]
fn a_field_and_french_filters() {
    let out = fill(&docx(&p(
        "Dossier {{ dossier.numero }}, le {{ aujourdhui|date_longue }} : {{ enfants|map(attribute=\"prenom\")|liste }}, {{ enfants[0].naissance|age }}.",
    )));
    insta::assert_snapshot!(docx_body(&out));
}

#[test]
fn a_loop_over_table_rows() {
    let row = |cells: &[&str]| {
        let cells: String = cells
            .iter()
            .map(|c| format!("<w:tc><w:tcPr/>{}</w:tc>", p(c)))
            .collect();
        format!("<w:tr>{cells}</w:tr>")
    };
    let table = format!(
        "<w:tbl>{}{}{}{}</w:tbl>",
        row(&["Prénom", "Né(e) le"]),
        row(&["{% for enfant in enfants %}", ""]),
        row(&["{{ enfant.prenom }}", "{{ enfant.naissance|date }}"]),
        row(&["{% endfor %}", ""]),
    );
    let out = fill(&docx(&table));
    insta::assert_snapshot!(docx_body(&out));
    // The same on an ODT.
    let orow = |cells: &[&str]| {
        let cells: String = cells
            .iter()
            .map(|c| format!("<table:table-cell><text:p>{c}</text:p></table:table-cell>"))
            .collect();
        format!("<table:table-row>{cells}</table:table-row>")
    };
    let table = format!(
        "<table:table>{}{}{}</table:table>",
        orow(&["{% for enfant in enfants %}"]),
        orow(&["{{ enfant.prenom }} ({{ enfant.naissance|age }})"]),
        orow(&["{% endfor %}"]),
    );
    let out = fill(&odt(&table));
    insta::assert_snapshot!(odt_body(&out));
}

#[test]
fn a_loop_over_paragraphs_and_a_condition() {
    let body = [
        p("{% for enfant in enfants %}"),
        p("{{ loop.index }}. {{ enfant.prenom }}{% if loop.last %}.{% else %} ;{% endif %}"),
        p("{% endfor %}"),
        p("{% if dossier.danger_grave %}"),
        p("Danger grave et immédiat."),
        p("{% else %}"),
        p("Pas de danger grave."),
        p("{% endif %}"),
    ]
    .concat();
    let out = fill(&docx(&body));
    insta::assert_snapshot!(docx_body(&out));
    // A condition opened in a bold run and closed in a plain one: the runs are closed around
    // each block tag and reopened with their formatting.
    let body = "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Avant {% if dossier.danger_grave %}DGI</w:t></w:r>\
        <w:r><w:t xml:space=\"preserve\"> {% else %}rien{% endif %} après</w:t></w:r></w:p>";
    let out = fill(&docx(body));
    insta::assert_snapshot!(docx_body(&out));
    assert_eq!(document_text(&out).unwrap().trim(), "Avant rien après");
    // The same with tracked formatting changes (a `w:rPr` inside the run's `w:rPr`).
    let tracked = body.replacen(
        "<w:rPr><w:b/></w:rPr>",
        "<w:rPr><w:b/><w:rPrChange w:id=\"1\" w:author=\"A\"><w:rPr><w:i/></w:rPr></w:rPrChange></w:rPr>",
        1,
    );
    let out = fill(&docx(&tracked));
    assert_eq!(document_text(&out).unwrap().trim(), "Avant rien après");
}

#[test]
fn a_tag_split_the_way_word_writes_it() {
    // Word: a spelling mark, a bookmark and a change of formatting inside one typed tag.
    let body = "<w:p><w:r><w:t xml:space=\"preserve\">Enfant : {{ </w:t></w:r>\
        <w:proofErr w:type=\"spellStart\"/><w:r><w:rPr><w:b/></w:rPr><w:t>enfants[0]</w:t></w:r>\
        <w:bookmarkStart w:id=\"0\" w:name=\"_GoBack\"/><w:r><w:t>.pre</w:t></w:r><w:bookmarkEnd w:id=\"0\"/>\
        <w:proofErr w:type=\"spellEnd\"/><w:r><w:t>nom }</w:t></w:r><w:r><w:t>} fin</w:t></w:r></w:p>";
    let out = fill(&docx(body));
    insta::assert_snapshot!(docx_body(&out));
    let text = document_text(&out).unwrap();
    assert_eq!(text.trim(), "Enfant : Léa fin");
    // LibreOffice: a span opened inside the tag.
    let body = "<text:p>Parent : {{ par<text:span text:style-name=\"T1\">ent.n</text:span>om }}</text:p>\
        <text:p><text:span text:style-name=\"T2\">{% if </text:span>dossier.danger_grave %}DGI{% endif %}</text:p>";
    let out = fill(&odt(body));
    insta::assert_snapshot!(odt_body(&out));
}

#[test]
fn text_from_the_dossier_never_breaks_the_xml() {
    let out = fill(&docx(&p("{{ parent.nom }} — {{ parent.adresse }}")));
    insta::assert_snapshot!(docx_body(&out));
    assert_eq!(
        document_text(&out).unwrap().trim(),
        "Dupont & Fils <SARL> — 3 rue des Lilas\n18000 Bourges"
    );
    let out = fill(&odt(
        "<text:p>{{ parent.nom }} — {{ parent.adresse }}</text:p>",
    ));
    insta::assert_snapshot!(odt_body(&out));
}

#[test]
fn the_logo() {
    let logo = Image {
        key: "logo".into(),
        bytes: png_4x2(),
        height_mm: 20,
    };
    let template = Template::parse(&docx(&p("{{ logo }}"))).unwrap();
    let out = template
        .render(&data(), std::slice::from_ref(&logo))
        .unwrap();
    insta::assert_snapshot!(docx_body(&out));
    assert!(part(&out, "word/_rels/document.xml.rels").contains("Target=\"media/vigie-0.png\""));
    assert!(part(&out, "[Content_Types].xml").contains("Extension=\"png\""));
    assert_eq!(
        common::part_bytes(&out, "word/media/vigie-0.png"),
        png_4x2()
    );

    let template = Template::parse(&odt("<text:p>{{ logo }}</text:p>")).unwrap();
    assert_eq!(template.format(), Format::Odt);
    let out = template.render(&data(), &[logo]).unwrap();
    insta::assert_snapshot!(odt_body(&out));
    assert!(part(&out, "META-INF/manifest.xml").contains("Pictures/vigie-0.png"));
    assert_eq!(common::entries(&out)[0], "mimetype");
}

fn error_of(template: &[u8]) -> String {
    let err = match Template::parse(template) {
        Err(e) => e,
        Ok(t) => t.render(&data(), &[]).unwrap_err(),
    };
    assert!(matches!(err, LetterError::Tag { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn errors_name_the_tag_and_its_paragraph() {
    let body = [p("Madame, Monsieur,"), p("Dossier {{ dossier.numero")].concat();
    assert_eq!(
        error_of(&docx(&body)),
        "Cette balise n'est pas fermée (il manque « }} » ou « %} ») — balise « {{ dossier.numero », \
         paragraphe 2 (corps du document) : « Dossier {{ dossier.numero »."
    );
    let body = [p("{% for enfant in enfants %}"), p("{{ enfant.prenom }}")].concat();
    assert_eq!(
        error_of(&docx(&body)),
        "Ce bloc n'est jamais fermé (il manque « {% endfor %} ») — balise « {% for enfant in enfants %} », \
         paragraphe 1 (corps du document) : « {% for enfant in enfants %} »."
    );
    let body = p("Bonjour {{ dossier.inconnu }}");
    assert_eq!(
        error_of(&docx(&body)),
        "Ce champ n'existe pas dans les données du courrier — balise « {{ dossier.inconnu }} », \
         paragraphe 1 (corps du document) : « Bonjour {{ dossier.inconnu }} »."
    );
    let body = [
        p("Titre"),
        p("{% for x in dossier.danger_grave %}{{ x }}{% endfor %}"),
    ]
    .concat();
    assert_eq!(
        error_of(&docx(&body)),
        "Cette boucle ne porte pas sur une liste — balise « {% for x in dossier.danger_grave %} », \
         paragraphe 2 (corps du document) : « {% for x in dossier.danger_grave %}{{ x }}{% endfor %} »."
    );
    // A block that opens in one paragraph and closes in another, both with text.
    let body = [
        p("Début {% if dossier.danger_grave %}"),
        p("Fin {% endif %}"),
    ]
    .concat();
    let message = error_of(&odt(&body
        .replace("w:p>", "text:p>")
        .replace("<w:r><w:t>", "")
        .replace("</w:t></w:r>", "")));
    assert!(
        message.starts_with("Cette balise et « {% endif %} » (paragraphe 2"),
        "{message}"
    );
    // An unknown filter.
    let message = error_of(&docx(&p("{{ aujourdhui|date_anglaise }}")));
    assert!(message.starts_with("Ce filtre n'existe pas"), "{message}");
}

#[test]
fn fields_read_by_a_template() {
    let body = [
        p("{% for enfant in enfants %}"),
        p("{{ enfant.prenom }}"),
        p("{% endfor %}"),
        p("{{ signalant.nom }}"),
    ]
    .concat();
    let template = Template::parse(&docx(&body)).unwrap();
    let fields: Vec<(String, usize)> = template
        .fields()
        .into_iter()
        .map(|f| (f.path, f.location.paragraph))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("enfants".to_owned(), 1),
            ("enfants[].prenom".to_owned(), 2),
            ("signalant.nom".to_owned(), 4)
        ]
    );
}

#[test]
fn not_a_template() {
    let err = Template::parse(b"PK not really").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Le modèle n'est pas un document DOCX ou ODT lisible")
    );
}
