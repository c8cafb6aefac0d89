import { memo, useMemo } from 'react';
import { highlight, type Language } from '../model/highlight';

/** A configuration file with its comments, strings, variables and keywords coloured (see model/highlight.ts). */
export const Highlighted = memo(function Highlighted({ text, language, testId }: { text: string; language: Language; testId?: string }) {
  const lines = useMemo(() => highlight(text, language), [text, language]);
  return (
    <pre className={`highlighted lang-${language}`} data-testid={testId}>
      {lines.map((tokens, i) => (
        <span key={i}>
          {tokens.map((t, j) => (t.type === 'plain' ? t.text : <span key={j} className={`tok-${t.type}`}>{t.text}</span>))}
          {i < lines.length - 1 ? '\n' : null}
        </span>
      ))}
    </pre>
  );
});
