// Calls the declarations must refuse: each line below is a type error, or tsc fails.
import { init, signup } from 'affitor-tracker';

// @ts-expect-error a bigint is not a customer key
signup(123n);
// @ts-expect-error the customer key is required
signup();
// @ts-expect-error an object is not a customer key
signup({ id: 'user_123' });
// @ts-expect-error the email is a string
signup('user_123', 42);
// @ts-expect-error a bigint is not a customer key
window.affitor?.signup(123n);
// @ts-expect-error the customer key is required
window.affitor?.signup();
// @ts-expect-error queue entries name a known command
window.affitorQueue?.push(['signin', 'user_123']);
// @ts-expect-error a queued signup needs its customer key
window.affitorQueue?.push(['signup']);
// @ts-expect-error options are spelled as documented
init({ programID: 42 });
// @ts-expect-error debug is a boolean
init({ debug: 'yes' });
// @ts-expect-error the result's status is a number
const status: string | undefined = (await signup('user_123')).status;
console.log(status);
