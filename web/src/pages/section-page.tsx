/**
 * A section of the shell whose feature has not landed yet: says what will live here.
 */

/** Placeholder page for a shell section. */
export function SectionPage({ title, text }: { title: string; text: string }) {
  return (
    <section aria-labelledby="section-title">
      <h1 id="section-title">{title}</h1>
      <p className="muted">{text}</p>
      <p className="notice">This section is not available on this server yet.</p>
    </section>
  );
}
