//! The oracle interface's integration tests: the comparison rule, the golden files, the JSON
//! layout and the independent 50-digit reference.

mod certified;
mod compare;
mod golden;
mod layout;
mod peers;
mod profiles;
mod reference;
