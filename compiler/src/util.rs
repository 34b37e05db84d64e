//! Two helpers every layer uses, kept in one place so each exists once.

use std::any::Any;

/// Lowercase hex of `bytes` (digests in cache keys, names and ids).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The message of a caught panic: its payload when that is text (`panic!("…")` gives a
/// `&str` or a `String`), `None` for any other payload, which the caller words for its context.
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn panic_messages_are_read_from_text_payloads_only() {
        let static_text = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
        assert_eq!(panic_message(&*static_text).as_deref(), Some("boom"));
        let formatted = std::panic::catch_unwind(|| panic!("{} {}", "big", "boom")).unwrap_err();
        assert_eq!(panic_message(&*formatted).as_deref(), Some("big boom"));
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
        assert_eq!(panic_message(&*other), None);
    }
}
