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
// @ts-expect-error the object form needs a customer key
signup({});
// @ts-expect-error the object form needs a customer key, not only an email
signup({ email: 'user@example.com' });
// @ts-expect-error one spelling of the key, not both
signup({ customerKey: 'a', customer_key: 'b' });
// @ts-expect-error a bigint is not a customer key, in the object form either
signup({ customer_key: 10n });
// @ts-expect-error the object form's email is a string
signup({ customerKey: 'user_123', email: 42 });
// @ts-expect-error the object form, misspelt
window.affitor?.signup({ customerkey: 'user_123' });
// @ts-expect-error existingClickId is a click id (a string)
trackClick('https://example.com/?aff=PARTNER', 42);
// @ts-expect-error trackClick takes two arguments at most
window.affitor?.trackClick('https://example.com/?aff=PARTNER', 'cust_1', true);
// @ts-expect-error window.affitor.init() takes the options object
window.affitor?.init('yes');
// @ts-expect-error window.affitor.init()'s options are spelled as documented
window.affitor?.init({ programID: 42 });
// @ts-expect-error a queued object-form signup needs its key
window.affitorQueue?.push(['signup', { email: 'user@example.com' }]);
// @ts-expect-error the result's status is a number
const status: string | undefined = (await signup('user_123')).status;
console.log(status);
// @ts-expect-error diagnose()'s option is testLead
window.affitor?.diagnose({ testlead: true });
// @ts-expect-error a check's level is error, warning or info
const level: 'fatal' = (await window.affitor!.diagnose()).checks[0].level;
console.log(level);
