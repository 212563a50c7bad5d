'use client';
// affitor-tracker/react: the tracker as React developers write it.
//
//   // app/layout.jsx (a Server Component is fine: this file is a client module)
//   import { Affitor } from 'affitor-tracker/react';
//   <body><Affitor programId={42} />{children}</body>
//
//   // any client component
//   const { ready, clickId, signup } = useAffitor();
//
// <Affitor> renders nothing and starts the tracker once, in the browser (its props are init()'s
// options). useAffitor() is { ready, clickId, signup, trackClick }: `ready` is false and
// `clickId` null on the server and in the first client render (so hydration matches the
// server's HTML), then the browser's; `clickId` follows each click recorded later (the tracker
// dispatches `affitor:click` on window). Only this entry imports React: the script tag and the
// module entry never load it.
import { useEffect, useState } from 'react';
import { getClickId, init, ready, signup, trackClick } from './index.js';

/** The window event the tracker dispatches once a click id is recorded. */
const CLICK = 'affitor:click';

/** Starts the tracker in the browser, once (later props change nothing). Renders nothing. */
export function Affitor(props) {
  useEffect(() => {
    init(props);
    // Once per page: init() itself keeps its first options.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return null;
}

const NOT_READY = { ready: false, clickId: null };

/** `{ ready, clickId, signup, trackClick }`, updated when the tracker runs and on each click. */
export function useAffitor() {
  const [state, setState] = useState(NOT_READY);
  useEffect(() => {
    let live = true;
    let started = false;
    const update = () => {
      if (live && started) {
        const clickId = getClickId();
        setState((s) => (s.ready && s.clickId === clickId ? s : { ready: true, clickId }));
      }
    };
    addEventListener(CLICK, update);
    ready().then(() => {
      started = true;
      update();
    });
    return () => {
      live = false;
      removeEventListener(CLICK, update);
    };
  }, []);
  return { ready: state.ready, clickId: state.clickId, signup, trackClick };
}
