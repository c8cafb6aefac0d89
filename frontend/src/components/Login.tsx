import { useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useSessionStore } from '../store/sessionStore';

export function Login() {
  const { login, error } = useSessionStore(useShallow((s) => ({ login: s.login, error: s.error })));
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    await login(username, password);
    setBusy(false);
  };
  return (
    <div className="login-page">
      <form className="login-box" onSubmit={submit} aria-label="Log in">
        <h1>jailnet</h1>
        <p>Design the virtual networks of your FreeBSD jailhosts.</p>
        <label htmlFor="login-username">User name</label>
        <input id="login-username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        <label htmlFor="login-password">Password</label>
        <input id="login-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        {error && <div className="form-error" role="alert">{error}</div>}
        <button type="submit" disabled={busy || !username || !password}>Log in</button>
      </form>
    </div>
  );
}
