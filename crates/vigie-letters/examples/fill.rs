//! Fills a template from a JSON file: `cargo run -p vigie-letters --example fill -- TEMPLATE DATA.json OUT`
//! (to look at a template's result in Word or LibreOffice while writing it).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [template, data, out] = args.as_slice() else {
        eprintln!("usage : fill MODÈLE DONNÉES.json SORTIE");
        std::process::exit(2);
    };
    let template = vigie_letters::Template::parse(&std::fs::read(template)?)?;
    let data: serde_json::Value = serde_json::from_slice(&std::fs::read(data)?)?;
    std::fs::write(out, template.render(&data, &[])?)?;
    Ok(())
}
