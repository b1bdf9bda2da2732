//! The product rules of portal-access, in plain Rust.
//!
//! Nothing here knows about Workers, JavaScript, D1 or HTTP: functions take the current state and a
//! command and return a decision or a domain error. The edge adapter (the `portal-access` crate)
//! loads the state, calls these rules and writes what they decide.

pub mod absence; // stu-a
pub mod access;
pub mod access_end;
pub mod attendance; // stu-a
pub mod audit;
pub mod bulk;
pub mod contact;
pub mod credit;
pub mod email;
pub mod enrollment;
pub mod evaluation; // stu-a
pub mod family;
pub mod ids;
pub mod leaving;
pub mod link_token;
pub mod maintenance;
pub mod notification;
pub mod operations;
pub mod organization;
pub mod password;
pub mod payments;
pub mod portal_switch;
pub mod retry;
pub mod schedule;
pub mod session;
// Signed-in devices and the Mobile App's long sign-in (issue 27, part B).
pub mod sign_ins;
pub mod settings;
pub mod text;
pub mod throttle;
pub mod time;
pub mod time_zone;
pub mod whole_number;
// Your Student(s) part B: one-day enrollments, passes.
pub mod one_day;
pub mod pass;
// Makeup tokens (issue 25, tok).
pub mod makeup_token;
// Makeup requests (the `requests` makeup mode).
pub mod makeup_request;
// Changing the login e-mail (issue 26).
pub mod email_change;
// QR codes (issue 25).
pub mod qr_code;
// Statements for a location (issue 26, stmt).
pub mod statement;
