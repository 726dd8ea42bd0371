// Reply and note drafts in localStorage, per case and kind, so a reload or a closed tab loses nothing.

const key = (caseId: string, kind: string) => `intake.draft.${caseId}.${kind}`;

export function loadDraft(caseId: string, kind: string): string {
  try {
    return localStorage.getItem(key(caseId, kind)) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(caseId: string, kind: string, text: string): void {
  try {
    if (text) localStorage.setItem(key(caseId, kind), text);
    else localStorage.removeItem(key(caseId, kind));
  } catch {
    // Storage full or disabled: the draft lives only in the page.
  }
}
