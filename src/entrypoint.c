// Routine registration lives in the Rust static library; forwarding it from
// C keeps the linker from discarding the library.

void R_init_crew_routines(void *dll);
void register_extendr_panic_hook(void);

void R_init_crew(void *dll) {
    register_extendr_panic_hook();
    R_init_crew_routines(dll);
}
