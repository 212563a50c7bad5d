import { Affitor } from 'affitor-tracker/react';
import SignupForm from './signup-form';

// A server component: the page renders on the server, the form (a client component) in the
// browser. <Affitor> (a client component, rendering nothing) starts the tracker there; a site
// puts it once in app/layout.jsx. Here it is in the page, which gets the API this test reports
// to as ?api=… (a site leaves apiBase out, or names its first-party proxy).
export default async function Page({ searchParams }) {
  const { api } = await searchParams;
  return (
    <main>
      <Affitor programId={42} apiBase={api} />
      <h1>Sign up</h1>
      <SignupForm />
    </main>
  );
}
