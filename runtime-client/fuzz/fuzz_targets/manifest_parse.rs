//! `Manifest::parse` reads YAML or JSON that users hand to `argot submit`: whatever the bytes,
//! it must return a value or an error, never panic, hang or exhaust memory; and what it
//! accepts is an Argo object that survives a JSON round trip.

#![no_main]

use argot_client::manifest::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(manifest) = Manifest::parse(text) {
        let json = serde_json::to_string(&manifest.value).expect("a parsed manifest is JSON");
        let again = Manifest::parse(&json).expect("a parsed manifest parses again as JSON");
        assert_eq!(again.value, manifest.value);
    }
});
