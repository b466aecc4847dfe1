/** The licence the console shows on first run and with -E (LICENCE_VERSION in src/admin/eula.ts). */
export const LICENCE_TEXT = `qkm KEY MANAGER SOFTWARE LICENCE (simulator edition), version 1

1. What this covers. This licence covers the qkm software: the key service
   qkmd, the administration program qkmcmds, their documentation, and any
   update of them you receive. "You" means the organisation that runs it.

2. What you may do. You may install and run the software on key-manager
   appliances and on computers that simulate one, for your own tape
   libraries, and make copies for backup and for testing.

3. What you may not do. You may not sell or rent the software on its own,
   remove the notices that say who wrote it, or present a simulated
   appliance to anyone as if it were real hardware.

4. Keys and data. The keys the software generates belong to you. Keep the
   backup files, the recovery shares and the passphrases apart and safe:
   whoever holds them can read your tapes, and nobody, the authors
   included, can recover keys or passwords you lose.

5. The simulator. On a simulated appliance no disk, LED, network or clock
   setting of the host is changed; the changes are recorded instead.

6. No warranty. The software is provided as it is, without any warranty of
   fitness for a purpose. Test your backups and restores before you rely
   on them.

7. Limits. The authors are not liable for data that cannot be read, for
   lost keys, or for any indirect loss arising from the use of the
   software, to the extent the law allows.

8. Export. Cryptographic software may be subject to export rules in your
   country; you are responsible for following them.

9. Ending. This licence ends if you break its terms; you must then stop
   using the software. Sections 4, 6 and 7 survive its end.

10. Acceptance. By answering y at the console you accept this licence on
    behalf of your organisation; the date is recorded on the appliance.`;
