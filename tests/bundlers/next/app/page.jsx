import SignupForm from './signup-form';

// A server component: the page renders on the server, the form (a client component) in the browser.
export default function Page() {
  return (
    <main>
      <h1>Sign up</h1>
      <SignupForm />
    </main>
  );
}
