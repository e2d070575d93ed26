//! Types of well-known ECS / Elastic Defend fields, for the decoder's type checks: the
//! runtime's table ([`eqlc_runtime::mapping`]), which rule self-tests apply too.

pub use eqlc_runtime::mapping::ecs_type;
