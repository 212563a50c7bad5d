import Script from 'next/script';
import TagSignupForm from './tag-signup-form';

// The script tag instead of the module: `npm run build` / `npm run dev` first copy the package's
// dist/ into public/affitor/ (package.json: prebuild, predev).
export default async function Page({ searchParams }) {
  // The API this page reports to: the test passes its dev collector as ?api=… (a site leaves
  // data-affitor-api-base out, or names its first-party proxy).
  const { api } = await searchParams;
  return (
    <main>
      <Script src="/affitor/affitor-tracker.js" data-affitor-program-id="42" data-affitor-api-base={api} strategy="afterInteractive" />
      <h1>Sign up</h1>
      <TagSignupForm />
    </main>
  );
}
