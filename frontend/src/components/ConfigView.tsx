import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { designsApi } from '../api/designApi';
import type { RenderedHost } from '../api/types';
import { useDesignStore } from '../store/designStore';
import { Highlighted } from './Highlighted';
import { languageOf, type Language } from '../model/highlight';

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Block({ title, text, filename, language }: { title: string; text: string; filename: string; language: Language }) {
  const [copied, setCopied] = useState(false);
  return (
    <section className="config-block">
      <div className="config-title">
        <code>{title}</code>
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(text).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            });
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={() => download(filename, text)}>Download</button>
      </div>
      <Highlighted text={text} language={language} testId="config-text" />
    </section>
  );
}

/** The FreeBSD configuration rendered for one host: the operator script and the managed files. */
export function ConfigView() {
  const { designId, objects, revision } = useDesignStore(useShallow((s) => ({ designId: s.designId, objects: s.objects, revision: s.revision })));
  const hostNames = useMemo(() => Object.values(objects.host).map((h) => h.name).sort(), [objects.host]);
  const [chosen, setChosen] = useState<string>('');
  const host = hostNames.includes(chosen) ? chosen : hostNames[0] ?? '';
  const [rendered, setRendered] = useState<RenderedHost | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (designId === null || !host) return;
    let current = true;
    designsApi.render(designId, host).then(
      (result) => {
        if (!current) return;
        setRendered(result[0] ?? null);
        setError(null);
      },
      (e: Error) => current && setError(e.message),
    );
    return () => {
      current = false;
    };
  }, [designId, host, revision]);

  if (!host) return <p className="panel-empty">Add a host to see its configuration.</p>;
  return (
    <div className="config-view" data-testid="config-view">
      <label htmlFor="config-host">Host</label>{' '}
      <select id="config-host" value={host} onChange={(e) => setChosen(e.target.value)}>
        {hostNames.map((name) => (
          <option key={name}>{name}</option>
        ))}
      </select>
      {error && <div className="form-error">Could not render: {error}</div>}
      {rendered && rendered.host === host && (
        <>
          <Block title="operator script" text={rendered.script} filename={`${host}-setup.sh`} language="shell" />
          {rendered.files.map((f) => (
            <Block key={f.path} title={`${f.path} (${f.mode})`} text={f.content} filename={`${host}${f.path.replace(/\//g, '_')}`} language={languageOf(f.path)} />
          ))}
        </>
      )}
    </div>
  );
}
