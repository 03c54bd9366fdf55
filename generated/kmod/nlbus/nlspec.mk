# SPDX-License-Identifier: GPL-2.0
#
# nlspec.mk: include from a module's Kbuild (after obj-m / X-y) to run the module-local bindgen
# before kbuild compiles the module. Expects in the module directory:
#   nlspec_support.rs  nlspec_macros.rs  nlspec_helper.h  nlspec_bindgen.py
# and NLSPEC_MAIN set to the stem of the Rust object (e.g. `mymod_main` for mymod_main.rs).
#
# Produces (in the module directory, removed by `make clean`):
#   nlspec_bindings.rs  included by nlspec_support.rs
#   nlspec_wrappers.c   C bodies of the static inline helpers, linked in as nlspec_wrappers.o
#
# The kernel's own recorded bindgen command ($(objtree)/rust/bindings/.bindings_generated.rs.cmd)
# supplies the C flags, so layouts always match the kernel being built against.

NLSPEC_KDIR := $(abspath $(objtree))
NLSPEC_PY ?= $(if $(PYTHON3),$(PYTHON3),python3)

$(obj)/nlspec_bindings.rs: $(src)/nlspec_helper.h $(src)/nlspec_bindgen.py \
		$(NLSPEC_KDIR)/rust/bindings/.bindings_generated.rs.cmd
	$(Q)$(NLSPEC_PY) $(src)/nlspec_bindgen.py --kdir $(NLSPEC_KDIR) \
		--header $(src)/nlspec_helper.h --out $(obj) $(if $(BINDGEN),--bindgen $(BINDGEN))

$(obj)/nlspec_wrappers.c: $(obj)/nlspec_bindings.rs
	@:

$(obj)/$(NLSPEC_MAIN).o: $(obj)/nlspec_bindings.rs $(src)/nlspec_support.rs $(src)/nlspec_macros.rs

CFLAGS_nlspec_wrappers.o += -Wno-missing-prototypes -Wno-missing-declarations
clean-files += nlspec_bindings.rs nlspec_wrappers.c
