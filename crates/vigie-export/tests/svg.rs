//! The SVG chart: well-formed, labelled, escaped, proportional, and absent when there is
//! nothing to draw.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use vigie_domain::stats::{Axis, ChartKind, Label, Table, Value};
use vigie_export::svg::chart_svg;

/// An element of the parsed output.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

impl Node {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn class(&self) -> &str {
        self.attr("class").unwrap_or("")
    }

    fn num(&self, key: &str) -> f64 {
        self.attr(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} of {self:?}"))
    }

    /// This node and its descendants, depth first.
    fn all(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.all());
        }
        out
    }

    fn title(&self) -> Option<&str> {
        self.children
            .iter()
            .find(|c| c.name == "title")
            .map(|c| c.text.as_str())
    }

    fn bars(&self) -> Vec<&Node> {
        self.all()
            .into_iter()
            .filter(|n| n.name == "rect" && n.class().split(' ').any(|c| c == "bar"))
            .collect()
    }

    fn group(&self, class: &str) -> &Node {
        self.all()
            .into_iter()
            .find(|n| n.name == "g" && n.class() == class)
            .unwrap_or_else(|| panic!("no group {class}"))
    }
}

/// Parses the whole output with quick-xml (end names checked): panics on any error.
fn parse(svg: &str) -> Node {
    let mut reader = Reader::from_str(svg);
    reader.config_mut().check_end_names = true;
    let mut stack = vec![Node::default()];
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!("not well-formed at {}: {e}\n{svg}", reader.error_position())
        });
        let open = |e: &quick_xml::events::BytesStart<'_>| Node {
            name: e.name().as_ref().to_owned(),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.expect("attribute");
                    let key = a.key.as_ref().to_owned();
                    let value = a.normalized_value(XmlVersion::Implicit1_0).expect("value");
                    (key, value.into_owned())
                })
                .collect(),
            ..Node::default()
        };
        match event {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let node = open(&e);
                stack.last_mut().expect("parent").children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(node);
            }
            Event::Text(t) => stack
                .last_mut()
                .expect("node")
                .text
                .push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let c = match &*r {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => r
                        .resolve_char_ref()
                        .expect("char ref")
                        .expect("known entity"),
                };
                stack.last_mut().expect("node").text.push(c);
            }
            Event::Eof => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    let mut document = stack.pop().expect("document");
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.remove(0)
}

fn labels(prefix: &str, names: &[&str]) -> Vec<Label> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Label::new(format!("{prefix}{i}"), *n))
        .collect()
}

fn table(chart: ChartKind, rows: &[&str], columns: &[&str], cells: Vec<Vec<Value>>) -> Table {
    Table {
        key: "t".into(),
        title: "Dossiers par mois".into(),
        measure: "Dossiers".into(),
        rows: Axis {
            code: "mois".into(),
            label: "Mois".into(),
            items: labels("r", rows),
        },
        columns: Axis {
            code: "serie".into(),
            label: "Série".into(),
            items: labels("c", columns),
        },
        cells,
        row_totals: None,
        column_totals: None,
        total: None,
        chart,
        note: None,
    }
}

fn counts(values: &[u64]) -> Vec<Vec<Value>> {
    values.iter().map(|v| vec![Value::Count(*v)]).collect()
}

const MONTHS: [&str; 12] = [
    "Janvier",
    "Février",
    "Mars",
    "Avril",
    "Mai",
    "Juin",
    "Juillet",
    "Août",
    "Septembre",
    "Octobre",
    "Novembre",
    "Décembre",
];

/// Two series with a suppressed and an empty value.
fn mixed(chart: ChartKind) -> Table {
    use Value::{Count, Empty, Suppressed};
    table(
        chart,
        &["T1 2024", "T2 2024", "T3 2024"],
        &["Entrées", "Sorties"],
        vec![
            vec![Count(12), Count(30)],
            vec![Suppressed, Count(0)],
            vec![Count(25), Empty],
        ],
    )
}

fn svg(table: &Table) -> String {
    chart_svg(table, "c1").expect("a chart")
}

fn tick_labels(root: &Node) -> Vec<String> {
    root.group("chart-ticks")
        .children
        .iter()
        .map(|t| t.text.clone())
        .collect()
}

#[test]
fn well_formed_labelled_picture() {
    for kind in [ChartKind::Columns, ChartKind::Bars] {
        let out = svg(&mixed(kind));
        let root = parse(&out);
        assert_eq!(root.name, "svg");
        assert_eq!(root.attr("role"), Some("img"));
        assert_eq!(root.attr("xmlns"), Some("http://www.w3.org/2000/svg"));
        assert!(
            root.attr("viewBox")
                .is_some_and(|v| v.starts_with("0 0 800 "))
        );
        assert_eq!(root.attr("width"), None);
        assert_eq!(root.attr("height"), None);
        assert!(root.class().split(' ').any(|c| c == "chart"));
        let ids = root.attr("aria-labelledby").expect("aria-labelledby");
        assert_eq!(ids, "c1-title c1-desc");
        for id in ids.split(' ') {
            let named: Vec<_> = root
                .all()
                .into_iter()
                .filter(|n| n.attr("id") == Some(id))
                .collect();
            assert_eq!(named.len(), 1, "{id}");
            assert!(!named[0].text.is_empty());
        }
        assert_eq!(root.children[0].name, "title");
        assert_eq!(root.children[0].text, "Dossiers par mois");
        assert_eq!(root.children[1].name, "desc");
        // The page's Content-Security-Policy: no style, no script, no event handler.
        for node in root.all() {
            assert!(!["style", "script", "foreignObject"].contains(&node.name.as_str()));
            for (key, _) in &node.attrs {
                assert!(
                    key != "style" && !key.starts_with("on"),
                    "{key} on {}",
                    node.name
                );
            }
        }
    }
}

#[test]
fn the_description_says_what_is_drawn_and_where_the_figures_are() {
    let months = table(ChartKind::Columns, &MONTHS, &["Dossiers"], counts(&[3; 12]));
    let root = parse(&svg(&months));
    assert_eq!(
        root.children[1].text,
        "Histogramme : Dossiers par mois, 12 barres, de Janvier à Décembre. \
         Les valeurs figurent dans le tableau qui suit."
    );
    let root = parse(&svg(&mixed(ChartKind::Bars)));
    assert_eq!(
        root.children[1].text,
        "Diagramme en barres horizontales : Dossiers par mois, 4 barres, 2 séries (Entrées, \
         Sorties), 1 valeur masquée (moins de 5). Les valeurs figurent dans le tableau qui suit."
    );
}

#[test]
fn one_bar_per_number_a_mark_per_suppressed_value() {
    for kind in [ChartKind::Columns, ChartKind::Bars] {
        let out = svg(&mixed(kind));
        let root = parse(&out);
        let bars = root.bars();
        // 12, 30, 0, 25: the zero is a bar of no height; « < 5 » and the empty cell are not.
        assert_eq!(bars.len(), 4, "{kind:?}");
        let titles: Vec<_> = bars.iter().filter_map(|b| b.title()).collect();
        assert_eq!(
            titles,
            [
                "T1 2024 – Entrées\u{a0}: 12",
                "T1 2024 – Sorties\u{a0}: 30",
                "T2 2024 – Sorties\u{a0}: 0",
                "T3 2024 – Entrées\u{a0}: 25",
            ]
        );
        assert_eq!(out.matches(">&lt; 5</text>").count(), 1);
        let mark = root.group("chart-suppressed");
        assert_eq!(mark.title(), Some("T2 2024 – Entrées\u{a0}: < 5"));
        let text = mark
            .children
            .iter()
            .find(|c| c.name == "text")
            .expect("text");
        assert_eq!(text.text, "< 5");
        // A legend when there are several series, none for one.
        assert_eq!(root.group("chart-legend").children.len(), 4);
    }
    let single = table(
        ChartKind::Columns,
        &MONTHS[..3],
        &["Dossiers"],
        counts(&[1, 2, 3]),
    );
    let out = svg(&single);
    assert!(!out.contains("chart-legend"));
    assert_eq!(parse(&out).bars().len(), 3);
}

#[test]
fn labels_typed_by_administrators_are_escaped() {
    let nasty = "<script>&\"'";
    let mut t = table(
        ChartKind::Bars,
        &[nasty],
        &[nasty, "b"],
        vec![vec![Value::Count(7), Value::Suppressed]],
    );
    t.title = format!("Titre {nasty}");
    t.measure = nasty.to_owned();
    for kind in [ChartKind::Bars, ChartKind::Columns] {
        t.chart = kind;
        let out = chart_svg(&t, "x\"<").expect("a chart");
        assert!(!out.contains("<script"), "{out}");
        assert!(out.contains("&lt;script&gt;&amp;&quot;&#39;"));
        let root = parse(&out);
        assert_eq!(root.children[0].text, "Titre <script>&\"'");
        assert_eq!(root.attr("aria-labelledby"), Some("x\"<-title x\"<-desc"));
        let bars = root.bars();
        assert_eq!(bars.len(), 1);
        assert_eq!(
            bars[0].title(),
            Some("<script>&\"' – <script>&\"'\u{a0}: 7")
        );
    }
}

#[test]
fn column_heights_are_proportional_to_the_values() {
    let t = table(
        ChartKind::Columns,
        &MONTHS[..3],
        &["Dossiers"],
        counts(&[10, 40, 7]),
    );
    let root = parse(&svg(&t));
    let bars = root.bars();
    let (a, b, c) = (
        bars[0].num("height"),
        bars[1].num("height"),
        bars[2].num("height"),
    );
    assert!((b / a - 4.0).abs() < 0.02, "{a} {b}");
    assert!((a / c - 10.0 / 7.0).abs() < 0.02, "{a} {c}");
    // Every column stands on the same baseline.
    let bottoms: Vec<f64> = bars.iter().map(|b| b.num("y") + b.num("height")).collect();
    assert!(
        bottoms.iter().all(|y| (y - bottoms[0]).abs() <= 0.11),
        "{bottoms:?}"
    );
    assert_eq!(tick_labels(&root), ["0", "10", "20", "30", "40"]);
}

#[test]
fn bar_lengths_are_proportional_to_the_values() {
    let t = table(
        ChartKind::Bars,
        &["Nord", "Sud", "Est"],
        &["Dossiers"],
        counts(&[1234, 617, 100]),
    );
    let root = parse(&svg(&t));
    let bars = root.bars();
    let (a, b, c) = (
        bars[0].num("width"),
        bars[1].num("width"),
        bars[2].num("width"),
    );
    assert!((a / b - 2.0).abs() < 0.01, "{a} {b}");
    assert!((a / c - 12.34).abs() < 0.1, "{a} {c}");
    assert_eq!(
        tick_labels(&root),
        ["0", "250", "500", "750", "1\u{202f}000", "1\u{202f}250"]
    );
    let left = bars[0].num("x");
    assert!(bars.iter().all(|b| b.num("x") == left));
}

#[test]
fn axis_steps_and_units() {
    let t = table(
        ChartKind::Columns,
        &MONTHS[..2],
        &["Dossiers"],
        counts(&[7, 3]),
    );
    assert_eq!(tick_labels(&parse(&svg(&t))), ["0", "2", "4", "6", "8"]);
    // Zero everywhere: an axis from 0 to 1, bars of no height, nothing divided by zero.
    let zero = table(
        ChartKind::Columns,
        &MONTHS[..2],
        &["Dossiers"],
        counts(&[0, 0]),
    );
    let root = parse(&svg(&zero));
    assert_eq!(tick_labels(&root), ["0", "1"]);
    assert!(root.bars().iter().all(|b| b.num("height") == 0.0));
    let mut delays = table(
        ChartKind::Bars,
        &["Nord", "Sud"],
        &["Délai"],
        vec![vec![Value::Days(12.5)], vec![Value::Days(3.0)]],
    );
    delays.measure = "Délai médian".into();
    let root = parse(&svg(&delays));
    assert_eq!(
        tick_labels(&root),
        [
            "0\u{a0}j",
            "2,5\u{a0}j",
            "5\u{a0}j",
            "7,5\u{a0}j",
            "10\u{a0}j",
            "12,5\u{a0}j"
        ]
    );
    assert!(
        root.all()
            .iter()
            .any(|n| n.class() == "chart-unit" && n.text == "Délai médian")
    );
    assert_eq!(root.bars()[0].title(), Some("Nord\u{a0}: 12,5 j"));
}

#[test]
fn nothing_to_draw() {
    let mut t = table(
        ChartKind::None,
        &MONTHS[..2],
        &["Dossiers"],
        counts(&[7, 3]),
    );
    assert_eq!(chart_svg(&t, "c"), None);
    t.chart = ChartKind::Columns;
    t.cells = vec![vec![Value::Suppressed], vec![Value::Empty]];
    assert_eq!(chart_svg(&t, "c"), None);
    t.cells = Vec::new();
    assert_eq!(chart_svg(&t, "c"), None);
    t.chart = ChartKind::Bars;
    t.cells = vec![vec![Value::Rate(f64::NAN)]];
    assert_eq!(chart_svg(&t, "c"), None);
}

#[test]
fn thirty_six_months_keep_readable_labels() {
    let names: Vec<String> = (0..36)
        .map(|i| format!("{} {}", MONTHS[i % 12], 2023 + i / 12))
        .collect();
    let rows: Vec<&str> = names.iter().map(String::as_str).collect();
    let cells = (0..36)
        .map(|i| {
            vec![
                Value::Count(i * 3),
                if i % 7 == 0 {
                    Value::Suppressed
                } else {
                    Value::Count(i)
                },
            ]
        })
        .collect();
    let t = table(ChartKind::Columns, &rows, &["Entrées", "Sorties"], cells);
    let out = svg(&t);
    let root = parse(&out);
    assert_eq!(root.bars().len(), 72 - 6);
    assert_eq!(out.matches(">&lt; 5</text>").count(), 6);
    let labels = &root.group("chart-labels").children;
    assert!(!labels.is_empty() && labels.len() <= 36);
    // Slanted labels at least 18 units apart.
    let xs: Vec<f64> = labels.iter().map(|l| l.num("x")).collect();
    assert!(xs.windows(2).all(|w| w[1] - w[0] >= 18.0), "{xs:?}");
    assert!(labels.iter().all(|l| {
        l.attr("transform")
            .is_some_and(|t| t.starts_with("rotate(-45 "))
    }));
    check_print_friendly(&root);
}

#[test]
fn long_category_names_are_shortened_and_given_in_full() {
    let long = "Maison départementale des solidarités de la vallée du Grésivaudan";
    let t = table(
        ChartKind::Bars,
        &[long, "Nord"],
        &["Dossiers"],
        counts(&[5, 9]),
    );
    let root = parse(&svg(&t));
    let row = root
        .all()
        .into_iter()
        .find(|n| n.class() == "chart-row")
        .expect("a row");
    assert_eq!(row.title(), Some(long));
    let label = row
        .children
        .iter()
        .find(|c| c.class() == "chart-label")
        .expect("label");
    assert!(
        label.text.ends_with('…') && label.text.chars().count() <= 32,
        "{}",
        label.text
    );
    assert!(long.starts_with(label.text.trim_end_matches('…')));
    check_print_friendly(&root);
}

/// Fonts of 11 units at least, coordinates with one decimal at most, all inside the viewBox.
fn check_print_friendly(root: &Node) {
    let view: Vec<f64> = root
        .attr("viewBox")
        .expect("viewBox")
        .split(' ')
        .map(|v| v.parse().expect("number"))
        .collect();
    for node in root.all() {
        if let Some(size) = node.attr("font-size") {
            assert!(size.parse::<f64>().expect("size") >= 11.0);
        }
        for key in ["x", "y", "width", "height", "x1", "x2", "y1", "y2"] {
            if let Some(v) = node.attr(key) {
                let decimals = v.split('.').nth(1).map_or(0, str::len);
                assert!(decimals <= 1, "{key}={v}");
                let v: f64 = v.parse().expect("number");
                let limit = if key.starts_with('x') || key == "width" {
                    view[2]
                } else {
                    view[3]
                };
                assert!((0.0..=limit).contains(&v), "{key}={v} in {view:?}");
            }
        }
    }
}

#[test]
fn print_friendly_and_deterministic() {
    for kind in [ChartKind::Columns, ChartKind::Bars] {
        let t = mixed(kind);
        let out = svg(&t);
        assert_eq!(out, svg(&t));
        check_print_friendly(&parse(&out));
    }
}

#[test]
fn snapshot_of_a_small_chart() {
    insta::assert_snapshot!("columns", svg(&mixed(ChartKind::Columns)));
    insta::assert_snapshot!("bars", svg(&mixed(ChartKind::Bars)));
}
