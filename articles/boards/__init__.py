"""The conventions of Japanese boards on the comment pages: daily poster IDs (日替わりID) with the
thread starter's mark (スレ主), and trip codes (``name#secret`` shown as ``name ◆AbCdEfGhIj``).

The mute lists (NG) live in the reader's browser only (``static/js/mute.js``); the ID highlight
is ``static/js/boards.js``.
"""
