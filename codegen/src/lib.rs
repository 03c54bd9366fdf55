//! nlspec code generator.
