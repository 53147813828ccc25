//! What can go wrong while writing an export.

/// An export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The XLSX writer refused the workbook (a text over Excel's 32,767 characters, a
    /// table over Excel's 1,048,576 rows or 16,384 columns…).
    #[error("Le classeur XLSX n'a pas pu être produit : {0}.")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
