/* icalcount.c -- libical reference counter from calendar.md section 5 (our own code, built against Debian's libical-dev).
 * build: gcc -O2 -o icalcount icalcount.c $(pkg-config --cflags --libs libical) */
#include <libical/ical.h>
#include <stdio.h>
static char *rd(char *s, size_t n, void *d) { return fgets(s, (int)n, (FILE *)d); }
static void count(icalcomponent *c, long *ev, long *td) {
    icalcomponent_kind k = icalcomponent_isa(c);
    if (k == ICAL_VEVENT_COMPONENT) (*ev)++;
    if (k == ICAL_VTODO_COMPONENT) (*td)++;
    for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
         s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
        count(s, ev, td);
}
int main(int argc, char **argv) {
    long ev = 0, td = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) { perror(argv[i]); return 1; }
        icalparser *p = icalparser_new();
        icalparser_set_gen_data(p, f);
        icalcomponent *c;
        while ((c = icalparser_parse(p, rd)) != NULL) { count(c, &ev, &td); icalcomponent_free(c); }
        icalparser_free(p);
        fclose(f);
    }
    printf("events %ld todos %ld\n", ev, td);
    return 0;
}
