"""Kazakh–Russian code-switched sentences with each word's language, labelled by hand.

Convention: a word is Kazakh when it carries Kazakh inflection, even on a
Russian stem (``магазинге``, ``Алматыға``), and Russian when it is said the
Russian way; Latin-script words are ``other``. Written for these tests (not
taken from the tagger's output); the tagger's accuracy on them is reported by
``tests/core/test_langtag.py``.
"""

from __future__ import annotations

SENTENCES: list[tuple[str, str]] = [
    ("Мен бүгін короче университетке бардым.", "kk kk ru kk kk"),
    ("Слушай, мен саған кеше айттым ғой!", "ru kk kk kk kk kk"),
    ("Ол очень жақсы адам.", "kk ru kk kk"),
    ("Я не знаю, ол қайда кетті.", "ru ru ru kk kk kk"),
    ("Біз сегодня вечером кездесеміз.", "kk ru ru kk"),
    ("Балалар мектептен келді, потом обедали.", "kk kk kk ru ru"),
    ("Ну давай, ертең хабарласамыз.", "ru ru kk kk"),
    ("Кстати, сенің телефоның қайда?", "ru kk kk kk"),
    ("Это самое, бізде жиналыс бар.", "ru ru kk kk kk"),
    ("Он сказал, что бәрі дайын.", "ru ru ru kk kk"),
    ("Мен сені күттім, а ты не пришёл.", "kk kk kk ru ru ru ru"),
    ("Жұмыс көп, вообще времени нет.", "kk kk ru ru ru"),
    ("Қазір мен занят, перезвоню попозже.", "kk kk ru ru ru"),
    ("Анам айтты, что надо купить нан.", "kk kk ru ru ru kk"),
    ("Сабақ қашан басталады, в девять или в десять?", "kk kk kk ru ru ru ru ru"),
    ("Просто мен шаршадым.", "ru kk kk"),
    ("Сен неге звонил?", "kk kk ru"),
    ("Олар дом сатып алды.", "kk ru kk kk"),
    ("Мы вчера Алматыға бардық.", "ru ru kk kk"),
    ("Ладно, жақсы, келісеміз.", "ru kk kk"),
    ("Ты же знаешь, ол кісі қатал.", "ru ru ru kk kk kk"),
    ("Қыздар магазинге кетті.", "kk kk kk"),
    ("Он работает в банке, бірақ айлығы аз.", "ru ru ru ru kk kk kk"),
    ("Короче, біз опоздали.", "ru kk ru"),
    ("Маған шай бер, пожалуйста.", "kk kk kk ru"),
    ("Сколько стоит? Бес мың теңге.", "ru ru kk kk kk"),
    ("Эта книга өте қызық.", "ru ru kk kk"),
    ("Әкем говорит, оқу керек.", "kk ru kk kk"),
    ("Да, правильно, солай істеу керек.", "ru ru kk kk kk"),
    ("Сен үйде бол, я скоро приду.", "kk kk kk ru ru ru"),
    ("Мен тоже барамын.", "kk ru kk"),
    ("Ол всегда кешігеді.", "kk ru kk"),
    ("Где ты? Мен жолдамын.", "ru ru kk kk"),
    ("Барлығы нормально, уайымдама.", "kk ru kk"),
    ("Вот это менің досым Асқар.", "ru ru kk kk kk"),
    ("Ертең емтихан бар, надо готовиться.", "kk kk kk ru ru"),
    ("Не болды, что случилось?", "kk kk ru ru"),
    ("Мен английский оқып жүрмін.", "kk ru kk kk"),
    ("Ну и что, бәрібір барамыз.", "ru ru ru kk kk"),
    ("Ол sorry деді.", "kk other kk"),
    ("Сабақ сағат 9-да басталады.", "kk kk kk kk"),
    ("Мен online жұмыс істеймін.", "kk other kk kk"),
    ("Честно говоря, маған ұнамады.", "ru ru kk kk"),
    ("Біз ещё шешкен жоқпыз.", "kk ru kk kk"),
    ("Сендер когда келесіңдер?", "kk ru kk"),
    ("Ол маған помог, рахмет оған.", "kk kk ru kk kk"),
]
