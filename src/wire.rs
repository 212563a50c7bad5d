//! What the click and lead requests share (docs/contract.md §3, §4): below both, so that
//! neither imports the other.

use crate::json::Obj;
use alloc::string::String;

/// The most click ids a lead carries, and the click cookies keep (docs/contract.md §3).
pub const HISTORY_MAX: usize = 20;

/// `{}`, or in test mode the markers the API looks for.
pub fn additional_data(test_mode: bool, program_id: Option<&str>) -> String {
    if test_mode {
        Obj::new()
            .raw("test_mode", "true")
            .raw("program_id", program_id.unwrap_or("null"))
            .end()
    } else {
        String::from("{}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mode_marks_both_requests() {
        assert_eq!(additional_data(false, Some("42")), "{}");
        assert_eq!(
            additional_data(true, Some("42")),
            r#"{"test_mode":true,"program_id":42}"#
        );
        assert_eq!(
            additional_data(true, None),
            r#"{"test_mode":true,"program_id":null}"#
        );
    }
}
