//! Fuzz the front end: any bytes that are UTF-8 must parse, check and render
//! their diagnostics without panicking, with every label inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let diagnostics = cxl::check_source(text);
    for d in &diagnostics {
        for label in &d.labels {
            assert!(label.span.end <= text.len());
            assert!(text.is_char_boundary(label.span.start) && text.is_char_boundary(label.span.end));
        }
    }
    let _ = cxl::diagnostic::render_human(&diagnostics, "fuzz.cxl", text, false);
});
