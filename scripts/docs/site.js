// The docs site's script (typedoc.json customJs): the guide sections of the navigation start
// open, so a first-time reader sees the guides; a section the reader closes stays closed.
for (const section of ["Start", "Frameworks", "Guides", "Operations"]) {
  const key = `tsd-accordion-${section}`;
  try {
    if (localStorage.getItem(key) === null) localStorage.setItem(key, "true");
  } catch {
    // storage disabled: TypeDoc's defaults apply
  }
}
